# Sourced by scripts/test-c.sh and scripts/windows.sh: the sandbox processes their test
# programs talk to.

SANDBOX_PIDS=()

# start_sandbox PYUN LOG [FAULT OPTIONS...]: starts `PYUN sandbox` on a free loopback port (the
# OS picks it; the sandbox prints its URL first), its output in LOG, and waits until it answers
# /_sandbox/health; its URL goes to STARTED_URL. Not meant for a subshell, which would lose the
# pid that stop_sandboxes kills. The secret comes from PYUN_APP_SECRET in the environment.
start_sandbox() {
  local pyun=$1 log=$2 pid url= answer= port
  shift 2
  # The log exists before the sandbox starts: the background child opens it in its own time,
  # and a `sed` reading it first would fail (and `set -e` end the caller).
  : >"$log"
  # English output: the URL is read from its first line.
  PYUN_LANG=en "$pyun" sandbox --port 0 --host 127.0.0.1 "$@" >"$log" 2>&1 &
  pid=$!
  SANDBOX_PIDS+=("$pid")
  STARTED_URL=
  for _ in $(seq 1 300); do
    url=$(sed -n 's/^pyun sandbox listening on \(http:[^ ]*\).*/\1/p' "$log")
    [ -n "$url" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$url" ] || { cat "$log" >&2; echo "the sandbox ($log) did not start" >&2; return 1; }
  port=${url##*:}
  # It answers? (bash's /dev/tcp: no curl needed)
  for _ in $(seq 1 100); do
    answer=$( (exec 3<>"/dev/tcp/127.0.0.1/$port" &&
      printf 'GET /_sandbox/health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3 && cat <&3) 2>/dev/null || true)
    case "$answer" in *ok) STARTED_URL=$url; return 0 ;; esac
    sleep 0.1
  done
  echo "the sandbox at $url does not answer" >&2
  return 1
}

# Stops every sandbox start_sandbox started (for the caller's EXIT trap).
stop_sandboxes() {
  local pid
  for pid in ${SANDBOX_PIDS[@]+"${SANDBOX_PIDS[@]}"}; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}
