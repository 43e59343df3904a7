# Sourced by scripts/windows.sh: proves pyun.exe (the CLI, cli/) under wine, in the prefix of
# one architecture (x64: 64-bit wine, x86: a 32-bit prefix). Uses windows.sh's helpers and
# variables (pass, fail, say, run_wine, winpath, http, start_sandbox, TMP, WORK, ROOT, URL,
# PYUN_BIN, SECRET, WINE64, WINE32, VERSION, WINE_TIMEOUT).
#
# Every wait is on a condition (a log line, a file, a process) with a deadline; ports are
# chosen by the OS (port 0) and read from what the program prints. A wine process is stopped
# as a console program is stopped on Windows, by Ctrl+C: SIGINT to the Linux process wine runs
# the program in makes wine call the program's console control handlers with CTRL_C_EVENT
# (the `ctrlc` crate's, which `listen` and `outbox drain --follow` install).

CLI_PIDS=()

# wine_bg ARCH LABEL DIR EXE [ARGS...]: starts EXE under wine in DIR, in the background, its
# output in $TMP/LABEL.out, without the variable named by BG_UNSET (if set) in its environment.
# wine execs into the Windows program: BG_PID is its Linux pid.
wine_bg() {
  local arch=$1 label=$2 dir=$3 exe=$4 wine
  shift 4
  wine=$([ "$arch" = x64 ] && echo "$WINE64" || echo "$WINE32")
  (cd "$dir" && if [ -n "${BG_UNSET:-}" ]; then unset "$BG_UNSET"; fi \
     && WINEPREFIX=$TMP/prefix-$arch exec "$wine" "$exe" "$@") > "$TMP/$label.out" 2>&1 &
  BG_PID=$!
  CLI_PIDS+=("$BG_PID")
}

# wait_for FILE REGEX SECONDS [PID]: until a line of FILE (CRs dropped) matches REGEX; fails
# at the deadline, or as soon as PID has ended without it.
wait_for() {
  local file=$1 re=$2 deadline=$(($(date +%s) + $3)) pid=${4:-}
  while [ "$(date +%s)" -le "$deadline" ]; do
    tr -d '\r' < "$file" 2>/dev/null | grep -qE "$re" && return 0
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
      tr -d '\r' < "$file" 2>/dev/null | grep -qE "$re" && return 0
      return 1
    fi
    sleep 0.1
  done
  return 1
}

# wait_until SECONDS COMMAND...: until COMMAND succeeds, or fails at the deadline.
wait_until() {
  local deadline=$(($(date +%s) + $1))
  shift
  while [ "$(date +%s)" -le "$deadline" ]; do
    "$@" && return 0
    sleep 0.1
  done
  return 1
}

# ctrl_c PID SECONDS: Ctrl+C to a program running under wine; waits for it to end. Its exit
# status goes to STOP_RC (the process is killed, and STOP_RC is "killed", at the deadline).
ctrl_c() {
  local pid=$1 secs=$2
  kill -INT "$pid" 2>/dev/null || true
  if wait_until "$secs" eval "! kill -0 $pid 2>/dev/null"; then
    STOP_RC=0
    wait "$pid" || STOP_RC=$?
  else
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    STOP_RC=killed
  fi
}

# Kills what was started in the background and is still running (for a failed check).
cli_cleanup() {
  local pid
  for pid in ${CLI_PIDS[@]+"${CLI_PIDS[@]}"}; do
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  CLI_PIDS=()
}

# A leave push's fields (the sandbox's sample, pusher.rs) with the key SERIAL, as a JSON file.
leave_fields() {
  python3 - "$1" > "$2" <<'PY'
import json, sys
print(json.dumps({
    "total_value": "100", "plate": "粤B12345", "park_name": "P云支付体验-停车场",
    "car_type": "1", "car_desc": "", "parking_time": "305", "enter_gate": "入口",
    "park_uuid": "49f0cc52-e8c7-41e3-b54d-af666b8cc11a", "leave_time": "1618994585000",
    "leave_gate": "出口", "plate_color": "-1", "autopay_value": "0",
    "parking_serial": sys.argv[1], "vehicle_type": "0", "enter_time": "1618994280000",
    "free_value": "0"}, ensure_ascii=False))
PY
}

# An enter record (examples/data/enter.json) with another parking_serial, as UTF-8 JSON.
enter_record() {
  python3 - "$ROOT/examples/data/enter.json" "$1" > "$2" <<'PY'
import json, sys
r = json.load(open(sys.argv[1], encoding="utf-8"))
r["parking_serial"] = sys.argv[2]
print(json.dumps(r, ensure_ascii=False, indent=2))
PY
}

# prove_cli ARCH: every check of pyun.exe under the prefix of ARCH.
prove_cli() {
  local arch=$1 bin=$WORK/bin/$1 exe c_dir rc n url serial winexe
  exe=$bin/pyun.exe
  if [ ! -s "$STAGE/$arch/pyun.exe" ]; then
    fail "[$arch] no pyun.exe to run under wine"
    return
  fi
  cp "$STAGE/$arch/pyun.exe" "$exe"
  winexe=$(winpath "$exe")
  c_dir=$TMP/prefix-$arch/drive_c/pyun
  rm -rf "$c_dir" && mkdir -p "$c_dir"

  # --- the version, and the demo (a sandbox inside the process, every endpoint) ---
  if run_wine "$arch" "cli-version-$arch" "$exe" --version && grep -qx "pyun $VERSION" "$TMP/cli-version-$arch.txt"; then
    pass "[$arch] pyun.exe --version under wine: pyun $VERSION"
  else
    fail "[$arch] pyun.exe --version is not pyun $VERSION"
  fi
  if run_wine "$arch" "cli-demo-$arch" "$exe" demo \
     && grep -q '^demo finished: every step ended as expected' "$TMP/cli-demo-$arch.txt"; then
    pass "[$arch] pyun.exe demo exits 0: $(grep -o 'sandbox accepted [0-9]* record(s)' "$TMP/cli-demo-$arch.txt")"
  else
    fail "[$arch] pyun.exe demo under wine"
  fi

  # --- pyun.exe sandbox under wine, reached from Linux; then the README's first push ---
  # The README's way: no secret given (the sandbox's default, 123), run from the folder that
  # holds examples\ (here the repository; the zip has the same examples\data).
  local wsb=$TMP/cli-wsandbox-$arch.out
  BG_UNSET=PYUN_APP_SECRET wine_bg "$arch" "cli-wsandbox-$arch" "$ROOT" "$exe" sandbox --port 0
  local spid=$BG_PID
  url=""
  if wait_for "$wsb" '^pyun sandbox listening on http://127\.0\.0\.1:[0-9]+' 120 "$spid"; then
    url=$(tr -d '\r' < "$wsb" | sed -n 's/^pyun sandbox listening on \(http:[^ ]*\).*/\1/p' | head -n1)
  fi
  if [ -z "$url" ]; then
    sed 's/^/    | /' "$wsb" | head -n 40
    fail "[$arch] pyun.exe sandbox under wine did not print its address"
  else
    enter_record "WSB-$arch-LINUX" "$TMP/work/wsb-enter.json"
    if PYUN_APP_SECRET=123 "$PYUN_BIN" push enter "$TMP/work/wsb-enter.json" \
         --file "enter_image_file=$ROOT/examples/data/enter.gif" --base-url "$url" > "$TMP/cli-wsb-push.txt" 2>&1 \
       && (cd "$ROOT" && env -u PYUN_APP_SECRET WINEPREFIX=$TMP/prefix-$arch timeout -k 10 "$WINE_TIMEOUT" \
             "$([ "$arch" = x64 ] && echo "$WINE64" || echo "$WINE32")" "$exe" push enter 'examples\data\enter.json' \
             --file 'enter_image_file=examples\data\enter.gif' --base-url "$url" --app-secret 123) \
             > "$TMP/cli-wsb-push-wine.txt" 2>&1; then
      http "$url/_sandbox/records" > "$TMP/cli-wsb-records.json"
      if n=$(python3 - "$TMP/cli-wsb-records.json" "$ROOT/examples/data" "$arch" <<'PY'
import hashlib, json, sys
records, data, arch = json.load(open(sys.argv[1], encoding="utf-8")), sys.argv[2], sys.argv[3]
want = hashlib.md5(open(f"{data}/enter.gif", "rb").read()).hexdigest().upper()
keys = {f"WSB-{arch}-LINUX", json.load(open(f"{data}/enter.json", encoding="utf-8"))["parking_serial"]}
got = {r["key"]: r for r in records if r.get("endpoint") == "enter"}
bad = [k for k in keys if k not in got or got[k].get("files", {}).get("enter_image_file", {}).get("md5") != want
       or got[k].get("decoded", {}).get("plate") != "粤B12345"]
if bad:
    sys.exit(f"missing or altered: {bad}; got {sorted(got)}")
print(len(got))
PY
      ); then
        pass "[$arch] pyun.exe sandbox under wine reached from Linux: $n enter records with photo (Linux pyun push, and the README's first push by pyun.exe)"
      else
        fail "[$arch] pyun.exe sandbox under wine: records not as pushed ($n)"
      fi
    else
      sed 's/^/    | /' "$TMP/cli-wsb-push.txt" "$TMP/cli-wsb-push-wine.txt" | tr -d '\r' | head -n 40
      fail "[$arch] pushes to pyun.exe sandbox under wine failed"
    fi
  fi
  # `pyun sandbox` runs "until interrupted": Ctrl+C ends it (no clean stop to check).
  ctrl_c "$spid" 60
  [ "$STOP_RC" != killed ] || fail "[$arch] pyun.exe sandbox did not end on Ctrl+C"

  # --- a GBK record file and a photo at a Windows path with Chinese in it, to the sandbox ---
  serial="WGBK-$arch-$(date +%s)"
  enter_record "$serial" "$TMP/work/gbk-enter.json"
  mkdir -p "$c_dir/入口照片"
  cp "$ROOT/examples/data/enter.gif" "$c_dir/入口照片/enter.gif"
  if iconv -f UTF-8 -t GBK "$TMP/work/gbk-enter.json" > "$c_dir/enter-gbk.json" \
     && ! iconv -f UTF-8 -t UTF-8 "$c_dir/enter-gbk.json" > /dev/null 2>&1; then
    if LC_ALL=C.UTF-8 run_wine "$arch" "cli-gbk-$arch" "$exe" --charset gbk --json push enter 'C:\pyun\enter-gbk.json' \
         --file 'enter_image_file=C:\pyun\入口照片\enter.gif' --base-url "$URL"; then
      http "$URL/_sandbox/records" > "$TMP/cli-gbk-records.json"
      if python3 - "$TMP/cli-gbk-records.json" "$serial" "$ROOT/examples/data/enter.gif" <<'PY'
import hashlib, json, sys
records, serial = json.load(open(sys.argv[1], encoding="utf-8")), sys.argv[2]
want = hashlib.md5(open(sys.argv[3], "rb").read()).hexdigest().upper()
got = [r for r in records if r.get("endpoint") == "enter" and r.get("key") == serial]
assert len(got) == 1, f"{len(got)} records {serial}"
d = got[0]["decoded"]
assert (d.get("plate"), d.get("enter_gate"), d.get("car_desc")) == ("粤B12345", "东门入口", "临停"), d
assert got[0]["files"]["enter_image_file"]["md5"] == want, got[0]["files"]
PY
      then
        pass "[$arch] pyun.exe --charset gbk push: GBK record + photo at C:\\pyun\\入口照片\\enter.gif reached the sandbox, Chinese intact"
      else
        fail "[$arch] the GBK push from pyun.exe is not in the sandbox as sent"
      fi
    else
      fail "[$arch] pyun.exe --charset gbk push under wine"
    fi
  else
    fail "[$arch] could not write the GBK record file"
  fi

  # --- pyun.exe listen: pushes from the Linux send-push in three encodings, a .cmd handler ---
  mkdir -p "$c_dir/listen"
  # The handler: the push's JSON from standard input to a file, one line per run.
  printf '@echo off\r\nmore > "C:\\pyun\\listen\\push-%%PYUN_PUSH_KEY%%.json"\r\nif "%%PYUN_PUSH_KEY:~0,4%%"=="SLOW" ping -n 6%s 127.0.0.1 > NUL\r\necho %%PYUN_PUSH_KIND%% %%PYUN_PUSH_KEY%%>> "C:\\pyun\\listen\\handled.txt"\r\n' \
    "$([ "$arch" = x64 ] && echo 64 || echo 32)" > "$c_dir/listen/handler.cmd"
  local slow_ping="ping -n 6$([ "$arch" = x64 ] && echo 64 || echo 32) 127.0.0.1"
  local lo=$TMP/cli-listen-$arch.out lurl="" keys=() enc key sent=0
  wine_bg "$arch" "cli-listen-$arch" "$c_dir" "$exe" listen --port 0 --db 'C:\pyun\listen\pushes.db' \
    --exec 'C:\pyun\listen\handler.cmd' --handler-timeout 10
  local lpid=$BG_PID
  if wait_for "$lo" 'listening on http://127\.0\.0\.1:[0-9]+' 120 "$lpid"; then
    lurl=$(tr -d '\r' < "$lo" | sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' | head -n1)
  fi
  if [ -z "$lurl" ]; then
    sed 's/^/    | /' "$lo" | head -n 40
    fail "[$arch] pyun.exe listen under wine did not print its address"
  else
    for enc in form multipart json; do
      key="WL-$arch-$enc"
      keys+=("$key")
      leave_fields "$key" "$TMP/work/push-$enc.json"
      if "$PYUN_BIN" send-push leave --to "$lurl" --encoding "$enc" --fields "$TMP/work/push-$enc.json" \
           --max-attempts 1 > "$TMP/cli-send-$enc.txt" 2>&1; then
        sent=$((sent + 1))
      else
        sed 's/^/    | /' "$TMP/cli-send-$enc.txt" | head -n 20
      fi
    done
    # a resend of the first: acknowledged again, the handler not run again
    "$PYUN_BIN" send-push leave --to "$lurl" --encoding json --fields "$TMP/work/push-form.json" \
      --max-attempts 1 > "$TMP/cli-send-again.txt" 2>&1 && sent=$((sent + 1))
    wine_pushes() {
      LC_ALL=C.UTF-8 run_wine "$arch" "cli-pushes-$arch" "$exe" pushes --db 'C:\pyun\listen\pushes.db' list --json > /dev/null
    }
    if [ "$sent" = 4 ] && wine_pushes && python3 - "$c_dir/listen" "$TMP/cli-pushes-$arch.txt" "${keys[@]}" <<'PY'
import json, sys
d, listing, keys = sys.argv[1], sys.argv[2], sys.argv[3:]
runs = [l.split() for l in open(f"{d}/handled.txt", encoding="utf-8").read().splitlines() if l.strip()]
assert sorted(runs) == sorted(["leave", k] for k in keys), f"handler runs: {runs}"
for k in keys:
    got = json.load(open(f"{d}/push-{k}.json", encoding="utf-8"))
    assert got["parking_serial"] == k and got["plate"] == "粤B12345", got
rows = json.loads(open(listing, encoding="utf-8").read().strip().splitlines()[-1])
by_key = {r["key"]: r for r in rows}
assert sorted(by_key) == sorted(keys), f"stored: {sorted(by_key)}"
assert {by_key[k]["encoding"] for k in keys} == {"form", "multipart", "json"}, rows
assert all(by_key[k]["handled_at"] for k in keys), rows
assert by_key[keys[0]]["deliveries"] == 2, rows
print(f"{len(runs)} handler runs, {len(rows)} stored")
PY
    then
      pass "[$arch] pyun.exe listen under wine: 3 pushes from Linux send-push (form, multipart, json) + 1 resend acked, handler.cmd ran 3 times, pyun.exe pushes list --json shows 3 handled (db C:\\pyun\\listen\\pushes.db)"
    else
      sed 's/^/    | /' "$lo" | tr -d '\r' | tail -n 30
      fail "[$arch] pyun.exe listen under wine: $sent of 4 sends acked, or the handler runs / stored pushes differ"
    fi

    # A handler that overruns --handler-timeout is ended with the process it started (a job
    # object): the push is not acknowledged, and its ping.exe is gone.
    slow_running() { pgrep -f "^$slow_ping\$" > /dev/null; }
    leave_fields "SLOW-$arch" "$TMP/work/push-slow.json"
    "$PYUN_BIN" send-push leave --to "$lurl" --fields "$TMP/work/push-slow.json" \
      --max-attempts 1 > "$TMP/cli-send-slow.txt" 2>&1 &
    spid=$!
    if wait_until 60 slow_running; then
      if wait_for "$lo" 'took longer than 10 s' 90 "$lpid" && wait_until 30 eval '! slow_running'; then
        rc=0
        wait "$spid" || rc=$?
        if [ "$rc" != 0 ] && ! grep -q "SLOW-$arch" "$c_dir/listen/handled.txt"; then
          pass "[$arch] an overrunning .cmd handler is ended with the ping.exe it started (job object); not acknowledged (send-push exit $rc)"
        else
          fail "[$arch] the overrunning handler: send-push exit $rc, or it was recorded as handled"
        fi
      else
        fail "[$arch] the overrunning handler's ping.exe still runs (or no timeout logged)"
      fi
    else
      fail "[$arch] the slow handler's ping.exe never started"
    fi
    wait "$spid" 2>/dev/null || true
  fi
  ctrl_c "$lpid" 60
  if [ "$STOP_RC" = 0 ] && wait_for "$lo" ' stopped$' 1; then
    pass "[$arch] pyun.exe listen stopped by Ctrl+C (CTRL_C_EVENT): exit 0, \"stopped\" logged"
  else
    sed 's/^/    | /' "$lo" | tr -d '\r' | tail -n 20
    fail "[$arch] pyun.exe listen on Ctrl+C: exit $STOP_RC"
  fi

  # --- pyun.exe outbox: enqueue, then drain --follow through a faulty sandbox ---
  local fsb=$TMP/cli-faulty-$arch.log furl oo=$TMP/cli-drain-$arch.out nrec=3 i
  start_sandbox "$PYUN_BIN" "$fsb" --fail-first 2 --drop-first 1 || { fail "[$arch] no faulty sandbox"; return; }
  furl=$STARTED_URL
  cp "$ROOT/examples/data/enter.gif" "$c_dir/enter.gif"
  rc=0
  for i in $(seq 1 "$nrec"); do
    enter_record "WOB-$arch-$i" "$c_dir/enter-$i.json"
    run_wine "$arch" "cli-enqueue-$arch-$i" "$exe" outbox --db 'C:\pyun\outbox.db' enqueue enter "C:\\pyun\\enter-$i.json" \
      --file 'enter_image_file=C:\pyun\enter.gif' > /dev/null || rc=1
  done
  if [ "$rc" != 0 ]; then
    fail "[$arch] pyun.exe outbox enqueue under wine"
  else
    pass "[$arch] pyun.exe outbox enqueue: $nrec enter records with a photo into C:\\pyun\\outbox.db"
    wine_bg "$arch" "cli-drain-$arch" "$c_dir" "$exe" --json outbox --db 'C:\pyun\outbox.db' drain --follow \
      --base-url "$furl" --max-backoff 1 --interval-ms 200
    local dpid=$BG_PID
    delivered() { [ "$(tr -d '\r' < "$oo" | grep -c '"kind":"accepted"')" -ge "$nrec" ]; }
    if wait_until 180 delivered; then
      ctrl_c "$dpid" 60
      http "$furl/_sandbox/records" > "$TMP/cli-faulty-records.json"
      http "$furl/_sandbox/counters" > "$TMP/cli-faulty-counters.json"
      if [ "$STOP_RC" = 0 ] && wait_for "$oo" '"kind":"stopped".*0 record\(s\) still pending' 1 \
         && python3 - "$TMP/cli-faulty-records.json" "$arch" "$nrec" "$oo" "$TMP/cli-faulty-counters.json" <<'PY'
import json, sys
records, arch, n = json.load(open(sys.argv[1], encoding="utf-8")), sys.argv[2], int(sys.argv[3])
counters = json.load(open(sys.argv[5], encoding="utf-8"))
assert counters["faults_injected"] >= 2 and counters["dropped"] >= 1, counters
keys = sorted(r["key"] for r in records if r.get("key", "").startswith(f"WOB-{arch}-"))
assert keys == sorted(f"WOB-{arch}-{i}" for i in range(1, n + 1)), keys
lines = [json.loads(l) for l in open(sys.argv[4], encoding="utf-8").read().splitlines() if l.startswith("{")]
waits = [l for l in lines if l.get("kind") == "waiting"]
print(f"{len(waits)} waits")
PY
      then
        pass "[$arch] pyun.exe outbox drain --follow through a faulty sandbox (2 x 503, 1 dropped): $nrec accepted, each once; Ctrl+C: exit 0, \"stopped\", 0 pending"
      else
        sed 's/^/    | /' "$oo" | tr -d '\r' | tail -n 20
        fail "[$arch] pyun.exe outbox drain --follow: exit $STOP_RC on Ctrl+C, or the sandbox's records differ"
      fi
    else
      sed 's/^/    | /' "$oo" | tr -d '\r' | tail -n 20
      fail "[$arch] pyun.exe outbox drain --follow did not deliver $nrec records"
      ctrl_c "$dpid" 30
    fi
  fi
  cli_cleanup
}
