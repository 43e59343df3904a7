# Sourced by scripts/windows.sh after scripts/windows/cli.sh: proves `pyun.exe service` (cli/src/
# service/) under wine's service control manager (services.exe), in the prefix of one
# architecture. Uses the helpers of windows.sh and cli.sh (pass, fail, say, wine_bg, wait_for,
# wait_until, cli_cleanup, leave_fields, enter_record, http, TMP, WINESERVER, PYUN_BIN, SECRET, URL).
#
# What wine shows: install (the command line stored without the secret), the service started
# by services.exe as Windows starts it at boot (AutoStart), its log file, pushes from the Linux
# send-push received and stored, a Stop while a handler runs (the handler finishes, the push
# is acknowledged, STOPPED is reported only after), a start that fails (its reason in the
# log, the exit code reported), start, uninstall; and `outbox drain --follow` as a service
# delivering a record enqueued while it runs, stopped with nothing pending. What it does not: restart on failure (wine
# has no SERVICE_CONFIG_FAILURE_ACTIONS: install says "restart on failure not set"), the
# LocalSystem account and session 0, a real reboot or logoff, Windows 7's own services.exe.
#
# wine ends a prefix's services a few seconds after its last program ends (Windows keeps them):
# a program kept running for the test (a long ping.exe) stands in for the running system.

# svc_run LABEL ARGS...: pyun.exe ARGS in the caller's $svc (C:\pyun\svc), with its $arch, $wine and
# $exe (locals of prove_service, prove_console); the secret not in its environment; output
# in $TMP/LABEL.txt; its exit status in SVC_RC.
svc_run() {
  local label=$1
  shift
  SVC_RC=0
  (cd "$svc" && env -u PYUN_APP_SECRET WINEPREFIX=$TMP/prefix-$arch timeout -k 10 "$WINE_TIMEOUT" "$wine" "$exe" "$@") \
    > "$TMP/$label.out" 2>&1 || SVC_RC=$?
  tr -d '\r' < "$TMP/$label.out" > "$TMP/$label.txt"
}
show() { sed 's/^/    | /' "$TMP/$1.txt" | head -n 30; }

# prove_service ARCH
prove_service() {
  local arch=$1 exe=$WORK/bin/$1/pyun.exe name=pyun-test-listen wine svc out rc url keeper
  local c_dir=$TMP/prefix-$arch/drive_c/pyun
  wine=$([ "$arch" = x64 ] && echo "$WINE64" || echo "$WINE32")
  svc=$c_dir/svc
  if [ ! -s "$exe" ]; then
    fail "[$arch] no pyun.exe for the service checks"
    return
  fi
  rm -rf "$svc" && mkdir -p "$svc"
  printf '# the secret of the lot, read by the service at each start\r\nPYUN_APP_SECRET=%s\r\n' "$SECRET" > "$svc/listen.env"
  # The handler: marks its start, takes ~3 s (a Stop arrives meanwhile), then records the push.
  printf '@echo off\r\necho %%PYUN_PUSH_KEY%%> "C:\\pyun\\svc\\started-%%PYUN_PUSH_KEY%%.txt"\r\nmore > NUL\r\nping -n 4 127.0.0.1 > NUL\r\necho %%PYUN_PUSH_KIND%% %%PYUN_PUSH_KEY%%>> "C:\\pyun\\svc\\handled.txt"\r\n' \
    > "$svc/handler.cmd"
  local log=$svc/logs/$name.log

  # --- refused before anything is registered: a secret on the command line, another command ---
  svc_run "svc-refuse-secret-$arch" service install --name "$name" -- listen --app-secret "$SECRET"
  local r1=$SVC_RC
  svc_run "svc-refuse-cmd-$arch" service install --name "$name" --env-file listen.env -- sandbox
  if [ "$r1" = 2 ] && grep -q -- '--env-file' "$TMP/svc-refuse-secret-$arch.txt" \
     && ! grep -qF "$SECRET" "$TMP/svc-refuse-secret-$arch.txt" \
     && [ "$SVC_RC" = 2 ] && grep -q 'listen' "$TMP/svc-refuse-cmd-$arch.txt"; then
    pass "[$arch] pyun.exe service install refuses --app-secret on the command line and a command that cannot run as a service (sandbox; exit 2)"
  else
    show "svc-refuse-secret-$arch"; show "svc-refuse-cmd-$arch"
    fail "[$arch] pyun.exe service install: refusals (exit $r1, $SVC_RC)"
  fi

  # --- install: stored command line without the secret ---
  svc_run "svc-install-$arch" service install --name "$name" --env-file listen.env -- \
    listen --port 0 --db pushes.db --exec 'C:\pyun\svc\handler.cmd' --handler-timeout 30
  svc_run "svc-status-$arch" --json service status --name "$name"
  if [ "$SVC_RC" = 0 ] && grep -q '"state":"stopped"' "$TMP/svc-status-$arch.txt" \
     && grep -q 'service run --name pyun-test-listen --work-dir C:\\\\pyun\\\\svc' "$TMP/svc-status-$arch.txt" \
     && ! grep -qF "$SECRET" "$TMP/svc-status-$arch.txt"; then
    pass "[$arch] pyun.exe service install: registered with wine's services.exe, stopped, its command line without the secret"
  else
    show "svc-install-$arch"; show "svc-status-$arch"
    fail "[$arch] pyun.exe service install"
    return
  fi

  # --- "boot": the prefix's services.exe starts again (every wine program ended), and starts
  # the AutoStart service by itself ---
  # (a persistent wineserver again, scripts/wine-server.sh: its first program is the boot)
  wine_server_stop "$WINESERVER" "$TMP/prefix-$arch"
  wine_server_start "$WINESERVER" "$wine" "$TMP/prefix-$arch" || fail "[$arch] no persistent wineserver after the \"boot\""
  BG_UNSET=PYUN_APP_SECRET wine_bg "$arch" "svc-keeper-$arch" "$svc" ping -n 900 127.0.0.1
  keeper=$BG_PID
  url=""
  if wait_until 120 test -s "$log" && wait_for "$log" 'listening on http://127\.0\.0\.1:[0-9]+' 60; then
    url=$(tr -d '\r' < "$log" | sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' | tail -n1)
    pass "[$arch] the service started by services.exe at \"boot\" (AutoStart), its log in C:\\pyun\\svc\\logs: $url"
  else
    sed 's/^/    | /' "$log" 2>/dev/null | tail -n 20
    fail "[$arch] the service did not start with wine's services.exe"
  fi

  # --- pushes from Linux; a Stop while the handler of the last one runs ---
  if [ -n "$url" ]; then
    local sent=0 key spid send_rc
    for key in SVC-$arch-1 SVC-$arch-2; do
      leave_fields "$key" "$TMP/work/svc-$key.json"
      "$PYUN_BIN" send-push leave --to "$url" --fields "$TMP/work/svc-$key.json" --max-attempts 1 \
        > "$TMP/svc-send-$key.txt" 2>&1 && sent=$((sent + 1))
    done
    key=SVC-$arch-STOP
    leave_fields "$key" "$TMP/work/svc-$key.json"
    "$PYUN_BIN" send-push leave --to "$url" --fields "$TMP/work/svc-$key.json" --max-attempts 1 \
      > "$TMP/svc-send-$key.txt" 2>&1 &
    spid=$!
    if wait_until 60 test -s "$svc/started-$key.txt"; then
      svc_run "svc-stop-$arch" service stop --name "$name"
      rc=$SVC_RC
      send_rc=0
      wait "$spid" || send_rc=$?
      svc_run "svc-stopped-$arch" --json service status --name "$name"
      svc_run "svc-pushes-$arch" --json pushes --db pushes.db list
      if [ "$sent" = 2 ] && [ "$rc" = 0 ] && [ "$send_rc" = 0 ] \
         && grep -q '"state":"stopped"' "$TMP/svc-stopped-$arch.txt" \
         && tr -d '\r' < "$log" | grep -q "service $name stopped (exit code 0)\$" \
         && python3 - "$svc/handled.txt" "$TMP/svc-pushes-$arch.txt" "$arch" <<'PY'
import json, sys
handled, listing, arch = sys.argv[1], sys.argv[2], sys.argv[3]
keys = [f"SVC-{arch}-1", f"SVC-{arch}-2", f"SVC-{arch}-STOP"]
runs = sorted(l.split()[1] for l in open(handled, encoding="utf-8").read().splitlines() if l.strip())
assert runs == sorted(keys), f"handler runs: {runs}"
rows = json.loads(open(listing, encoding="utf-8").read().strip().splitlines()[-1])
got = {r["key"]: r for r in rows}
assert sorted(got) == sorted(keys) and all(got[k]["handled_at"] for k in keys), rows
PY
      then
        pass "[$arch] pushes from Linux send-push stored and handled by the service; service stop during a handler: the handler finished, the push acknowledged, STOPPED reported after (3 handled in pushes.db)"
      else
        show "svc-stop-$arch"; show "svc-stopped-$arch"; show "svc-pushes-$arch"
        sed 's/^/    | /' "$log" | tr -d '\r' | tail -n 20
        fail "[$arch] the service's pushes or its stop: $sent of 2 acked, stop exit $rc, send-push exit $send_rc during the stop"
      fi
    else
      wait "$spid" 2>/dev/null || true
      fail "[$arch] the service's handler never started"
    fi
  fi
  if grep -qF "$SECRET" "$svc"/logs/* 2>/dev/null; then
    fail "[$arch] the service's log holds the app_secret"
  fi

  # --- a start that fails: the reason in the log, the exit code reported ---
  mv "$svc/listen.env" "$svc/listen.env.away"
  svc_run "svc-badstart-$arch" service start --name "$name"
  mv "$svc/listen.env.away" "$svc/listen.env"
  if [ "$SVC_RC" = 2 ] && grep -q 'stopped while starting (exit code 2)' "$TMP/svc-badstart-$arch.txt" \
     && tr -d '\r' < "$log" | grep -q 'env file C:\\pyun\\svc\\listen.env: cannot read it'; then
    pass "[$arch] a service whose env file is missing: start says it stopped while starting (exit code 2), the log names the file"
  else
    show "svc-badstart-$arch"
    fail "[$arch] a failing service start (exit $SVC_RC)"
  fi

  # --- start by hand, then uninstall (stops it first) ---
  svc_run "svc-start-$arch" service start --name "$name"
  local start_rc=$SVC_RC
  svc_run "svc-uninstall-$arch" service uninstall --name "$name"
  local un_rc=$SVC_RC
  svc_run "svc-gone-$arch" service status --name "$name"
  if [ "$start_rc" = 0 ] && grep -q "service $name: running" "$TMP/svc-start-$arch.txt" && [ "$un_rc" = 0 ] \
     && [ "$SVC_RC" = 2 ] && grep -q "no service named $name" "$TMP/svc-gone-$arch.txt" \
     && [ "$(tr -d '\r' < "$log" | grep -c "service $name stopped (exit code 0)\$")" = 2 ]; then
    pass "[$arch] pyun.exe service start (running), uninstall (stopped cleanly, removed), status then exit 2: no such service"
  else
    show "svc-start-$arch"; show "svc-uninstall-$arch"; show "svc-gone-$arch"
    fail "[$arch] pyun.exe service start / uninstall (exit $start_rc, $un_rc, status $SVC_RC)"
  fi

  # --- the sender: outbox drain --follow as a service, a record enqueued while it runs ---
  local oname=pyun-test-outbox olog=$svc/logs/pyun-test-outbox.log serial=SVCOB-$arch-$(date +%s)
  enter_record "$serial" "$svc/enter.json"
  svc_run "svc-ob-install-$arch" service install --name "$oname" --env-file listen.env -- \
    outbox --db outbox.db drain --follow --base-url "$URL" --max-backoff 1 --interval-ms 200
  local oi_rc=$SVC_RC
  svc_run "svc-ob-start-$arch" service start --name "$oname"
  local os_rc=$SVC_RC
  svc_run "svc-ob-enqueue-$arch" outbox --db outbox.db enqueue enter enter.json
  sandbox_has() { http "$URL/_sandbox/records" | grep -qF "\"$serial\""; }
  if [ "$oi_rc" = 0 ] && [ "$os_rc" = 0 ] && [ "$SVC_RC" = 0 ] && wait_until 120 sandbox_has; then
    svc_run "svc-ob-uninstall-$arch" service uninstall --name "$oname"
    if [ "$SVC_RC" = 0 ] && tr -d '\r' < "$olog" | grep -q 'stopped 0 record(s) still pending' \
       && tr -d '\r' < "$olog" | grep -q "service $oname stopped (exit code 0)\$"; then
      pass "[$arch] outbox drain --follow as a service: a record enqueued by pyun.exe reached the sandbox; uninstall stopped it cleanly (0 pending)"
    else
      show "svc-ob-uninstall-$arch"
      sed 's/^/    | /' "$olog" | tr -d '\r' | tail -n 20
      fail "[$arch] the outbox service's stop (exit $SVC_RC)"
    fi
  else
    show "svc-ob-install-$arch"; show "svc-ob-start-$arch"; show "svc-ob-enqueue-$arch"
    sed 's/^/    | /' "$olog" 2>/dev/null | tr -d '\r' | tail -n 20
    fail "[$arch] outbox drain --follow as a service: install $oi_rc, start $os_rc, enqueue $SVC_RC, or the record never reached the sandbox"
    svc_run "svc-ob-cleanup-$arch" service uninstall --name "$oname"
  fi
  kill -KILL "$keeper" 2>/dev/null || true
  wait "$keeper" 2>/dev/null || true
}
