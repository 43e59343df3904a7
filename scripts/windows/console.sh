# Sourced by scripts/windows.sh after scripts/windows/service.sh: proves `pyun.exe console`
# (cli/src/console/) under wine, reached from Linux, in the prefix of one architecture: run by
# hand (its URL and random token read from its output) and as a service of wine's services.exe
# (its token from the env file, never in its log). Each time, from Linux (console_check.py):
# the page with the token, 401 without it, the counts the CLI shows for the same outbox, a POST
# action from the console's own origin done and one from another origin refused. Uses the
# helpers of windows.sh, cli.sh and service.sh (pass, fail, say, wine_bg, wait_for, wait_until,
# ctrl_c, enter_record, svc_run, show, TMP, PYUN_BIN, SECRET, URL) and the push store the
# service checks left in C:\pyun\svc.

# refused URL: whether a connection to URL is refused (not answered, even with an error status).
refused() {
  python3 - "$1" <<'PY'
import sys, urllib.error, urllib.request
try:
    urllib.request.urlopen(sys.argv[1], timeout=10)
except urllib.error.HTTPError:
    sys.exit(1)
except OSError:
    sys.exit(0)
sys.exit(1)
PY
}

# prove_console ARCH
prove_console() {
  local arch=$1 exe=$WORK/bin/$1/pyun.exe name=pyun-test-console wine svc n id dead=() pid url
  local keeper token log check=$ROOT/scripts/windows/console_check.py
  wine=$([ "$arch" = x64 ] && echo "$WINE64" || echo "$WINE32")
  svc=$TMP/prefix-$arch/drive_c/pyun/console
  if [ ! -s "$exe" ] || [ ! -s "$TMP/prefix-$arch/drive_c/pyun/svc/pushes.db" ]; then
    fail "[$arch] no pyun.exe, or no C:\\pyun\\svc\\pushes.db from the service checks, for the console checks"
    return
  fi
  rm -rf "$svc" && mkdir -p "$svc"

  # --- an outbox fed on Linux: three records delivered, two dead letters (a wrong secret) ---
  for n in 1 2 3 4 5; do
    enter_record "CONS-$arch-$n" "$svc/enter-$n.json"
    id=$("$PYUN_BIN" --json outbox --db "$svc/outbox.db" enqueue enter "$svc/enter-$n.json" \
      | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])') || id=""
    [ "$n" -le 3 ] || dead+=("$id")
    if [ "$n" = 3 ]; then
      "$PYUN_BIN" outbox --db "$svc/outbox.db" drain --base-url "$URL" > "$TMP/cons-drain-$arch.txt" 2>&1 || true
    fi
  done
  PYUN_APP_SECRET=wrong-secret-0815 "$PYUN_BIN" outbox --db "$svc/outbox.db" drain --attempts 1 \
    --base-url "$URL" >> "$TMP/cons-drain-$arch.txt" 2>&1 || true
  "$PYUN_BIN" --json outbox --db "$svc/outbox.db" status > "$TMP/cons-status-linux-$arch.json"
  if ! grep -q '"dead":2,"done":3,' "$TMP/cons-status-linux-$arch.json" || [ -z "${dead[0]:-}" ]; then
    sed 's/^/    | /' "$TMP/cons-drain-$arch.txt" "$TMP/cons-status-linux-$arch.json" | tail -n 20
    fail "[$arch] the console's outbox: not 3 delivered and 2 dead letters"
    return
  fi
  svc_run "cons-pushes-$arch" --json pushes --db 'C:\pyun\svc\pushes.db' list

  # --- by hand: the URL and its random token from the first line it prints ---
  wine_bg "$arch" "cons-$arch" "$svc" "$exe" console --outbox 'C:\pyun\console\outbox.db' \
    --pushes 'C:\pyun\svc\pushes.db' --port 0
  pid=$BG_PID
  if wait_for "$TMP/cons-$arch.out" 'pyun console: http://127\.0\.0\.1:[0-9]+/\?token=[0-9a-f]{64}$' 120 "$pid"; then
    url=$(tr -d '\r' < "$TMP/cons-$arch.out" | sed -n 's/^pyun console: \(http:[^ ]*\)$/\1/p' | head -n1)
    if python3 "$check" "${url%%/\?token=*}" "${url##*token=}" "$TMP/cons-status-linux-$arch.json" \
         "$TMP/cons-pushes-$arch.txt" "requeue:${dead[0]}" > "$TMP/cons-check-$arch.txt" 2>&1 \
       && svc_run "cons-status-$arch" --json outbox --db outbox.db status \
       && python3 -c 'import json, sys; a, b = (open(f, encoding="utf-8").read().splitlines()[-1] for f in sys.argv[1:]); a, b = json.loads(a), json.loads(b)["counts"]; sys.exit(a != b or a["dead"] != 1 or a["pending"] != 1)' \
            "$TMP/cons-check-$arch.txt" "$TMP/cons-status-$arch.txt"; then
      pass "[$arch] pyun.exe console under wine, from Linux: the page with its token, 401 without; the counts of Linux's outbox status and the push total; a requeue from its own origin done, another origin's refused; pyun.exe outbox status agrees after"
    else
      sed 's/^/    | /' "$TMP/cons-check-$arch.txt" "$TMP/cons-status-$arch.txt" 2>/dev/null | tail -n 20
      fail "[$arch] pyun.exe console under wine, reached from Linux"
    fi
    ctrl_c "$pid" 60
    [ "$STOP_RC" = 0 ] && pass "[$arch] pyun.exe console: Ctrl+C ends it (exit 0)" \
      || fail "[$arch] pyun.exe console on Ctrl+C: exit $STOP_RC"
  else
    sed 's/^/    | /' "$TMP/cons-$arch.out" | tr -d '\r' | tail -n 20
    fail "[$arch] pyun.exe console printed no URL with a token"
    ctrl_c "$pid" 30
  fi

  # --- as a service: refused without a token in the env file; its token never in the log ---
  token=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
  printf '# the console token, read by the service at each start\r\nPYUN_CONSOLE_TOKEN=%s\r\n' "$token" > "$svc/console.env"
  svc_run "cons-svc-refuse-$arch" service install --name "$name" -- console --outbox outbox.db
  if [ "$SVC_RC" = 2 ] && grep -q 'PYUN_CONSOLE_TOKEN=' "$TMP/cons-svc-refuse-$arch.txt"; then
    pass "[$arch] pyun.exe service install refuses a console without PYUN_CONSOLE_TOKEN in its env file (exit 2)"
  else
    show "cons-svc-refuse-$arch"
    fail "[$arch] service install of a console without a token (exit $SVC_RC)"
  fi
  log=$svc/logs/$name.log
  svc_run "cons-svc-install-$arch" service install --name "$name" --env-file console.env -- \
    console --outbox outbox.db --pushes 'C:\pyun\svc\pushes.db' --port 0
  local install_rc=$SVC_RC
  # wine ends its services a few seconds after its last program: a keeper runs meanwhile
  wine_bg "$arch" "cons-keeper-$arch" "$svc" ping -n 900 127.0.0.1
  keeper=$BG_PID
  svc_run "cons-svc-start-$arch" service start --name "$name"
  url=""
  if [ "$install_rc" = 0 ] && [ "$SVC_RC" = 0 ] \
     && wait_for "$log" 'pyun console: http://127\.0\.0\.1:[0-9]+/\?token=<PYUN_CONSOLE_TOKEN>$' 60; then
    url=$(tr -d '\r' < "$log" | sed -n 's/.*pyun console: \(http:[^ ]*\)\/?token=.*/\1/p' | tail -n1)
    svc_run "cons-svc-status-before-$arch" --json outbox --db outbox.db status
    tail -n1 "$TMP/cons-svc-status-before-$arch.txt" > "$TMP/cons-svc-status-before-$arch.json"
    if python3 "$check" "$url" "$token" "$TMP/cons-svc-status-before-$arch.json" \
         "$TMP/cons-pushes-$arch.txt" "purge:0" > "$TMP/cons-svc-check-$arch.txt" 2>&1 \
       && grep -q '"done": 0' "$TMP/cons-svc-check-$arch.txt"; then
      pass "[$arch] pyun.exe console as a service of services.exe: its URL in the log without the token; from Linux with the env file's token: the page, 401 without, pyun.exe's counts, a purge from its own origin done, another origin's refused"
    else
      sed 's/^/    | /' "$TMP/cons-svc-check-$arch.txt" | tail -n 20
      fail "[$arch] pyun.exe console as a service, reached from Linux"
    fi
  else
    show "cons-svc-install-$arch"; show "cons-svc-start-$arch"
    sed 's/^/    | /' "$log" 2>/dev/null | tr -d '\r' | tail -n 20
    fail "[$arch] pyun.exe console as a service did not start (install $install_rc, start $SVC_RC)"
  fi
  svc_run "cons-svc-stop-$arch" service stop --name "$name"
  if [ -n "$url" ] && [ "$SVC_RC" = 0 ] && tr -d '\r' < "$log" | grep -q "service $name stopped (exit code 0)\$" \
     && refused "$url/" \
     && ! grep -qF "$token" "$svc"/logs/*; then
    pass "[$arch] pyun.exe service stop ends the console service (exit code 0, its port closed); the token is nowhere in its log"
  else
    show "cons-svc-stop-$arch"
    sed 's/^/    | /' "$log" 2>/dev/null | tr -d '\r' | grep -vF "$token" | tail -n 20
    fail "[$arch] the console service's stop (exit $SVC_RC), or its token in the log"
  fi
  svc_run "cons-svc-uninstall-$arch" service uninstall --name "$name"
  [ "$SVC_RC" = 0 ] || fail "[$arch] uninstall of the console service (exit $SVC_RC)"
  kill -KILL "$keeper" 2>/dev/null || true
  wait "$keeper" 2>/dev/null || true
}
