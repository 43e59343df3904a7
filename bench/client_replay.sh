#!/usr/bin/env bash
# The Client against the sandbox's ceiling for one connection (57 KB photo): syscalls per push
# (strace -c -f over N client pushes) and pushes/s of the Client, of a bare replay of pre-built
# pushes and of that replay hashing the photo first, interleaved (bench/src/bin/client_vs_replay.rs).
#   N=1000 RUNS=2 bash bench/client_replay.sh [BINARY...]
# Each BINARY (default: the release client_vs_replay) runs in turn, RUNS times, against one
# `pyun sandbox` process: to compare with older code, build the bench there and pass both.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000}; RUNS=${RUNS:-2}; ROUNDS=${ROUNDS:-3}
cargo build -q --release -p pyun-cli -p pyun-bench
bins=("$@"); [ ${#bins[@]} -gt 0 ] || bins=(target/release/client_vs_replay)
out=$(mktemp)
target/release/pyun sandbox --port 0 --app-secret 123 >"$out" 2>/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -f "$out" "$out.strace"' EXIT
for _ in $(seq 50); do grep -q listening "$out" && break; sleep 0.1; done
url=$(head -n1 "$out" | sed 's/.* on //')
for bin in "${bins[@]}"; do
  echo "== $bin: syscalls per push (strace -c -f, $N pushes)"
  ONLY=client strace -c -f -o "$out.strace" "$bin" "$url" "$N"
  awk -v n="$N" '$NF ~ /^(sendto|recvfrom|read|setsockopt|ioctl|openat|close|statx|writev|write)$/ {
      calls = ($5 ~ /^[0-9]+$/) ? $4 : $4; errs = (NF == 6) ? $5 : 0;
      printf "  %-10s %5.2f per push (%s errors)\n", $NF, $4 / n, errs; total += $4 }
    END { printf "  total      %5.2f per push\n", total / n }' "$out.strace"
done
for run in $(seq "$RUNS"); do
  for bin in "${bins[@]}"; do
    echo "== run $run: $bin"
    "$bin" "$url" "$N" "$ROUNDS"
  done
done
