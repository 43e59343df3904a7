#!/usr/bin/env bash
# The Client against the sandbox's ceiling for one connection (57 KB photo): syscalls per push
# (strace -c -f over N client pushes) and pushes/s of the Client, of a bare replay of pre-built
# pushes and of that replay hashing the photo first, interleaved (bench/src/bin/client_vs_replay.rs).
#   N=1000 RUNS=2 bash bench/client_replay.sh [BINARY...]
# Each BINARY (default: the release client_vs_replay) runs in turn, RUNS times, against one
# `pyun sandbox` process: to compare with older code, build the bench there and pass both.
# With PYTHON (a Python with the pyun wheel installed), each run then alternates rounds of N
# pushes of each BINARY's Rust Client (ONLY=client) and of the Python Client
# (bench/python_client.py: the same record and photo through `pyun.Client.push_leave`), and
# prints their best rounds' ratio, and the least CPU time per push of each. PYTHON may name one
# Python per BINARY, colon-separated (PYTHON=old/bin/python:new/bin/python with two binaries: each
# binary's Client against its own wheel, e.g. before and after a change, in one run).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000}; RUNS=${RUNS:-2}; ROUNDS=${ROUNDS:-3}
cargo build -q --release -p pyun-cli -p pyun-bench
bins=("$@"); [ ${#bins[@]} -gt 0 ] || bins=(target/release/client_vs_replay)
out=$(mktemp)
target/release/pyun sandbox --port 0 --app-secret 123 >"$out" 2>/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -f "$out" "$out.strace" "$out.rust" "$out.python" "$out.time"' EXIT
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
IFS=: read -r -a pythons <<< "${PYTHON:-}"
for run in $(seq "$RUNS"); do
  for i in "${!bins[@]}"; do
    bin=${bins[$i]}
    python=${pythons[$i]:-${pythons[${#pythons[@]}-1]:-}}
    echo "== run $run: $bin"
    "$bin" "$url" "$N" "$ROUNDS"
    [ -n "$python" ] || continue
    echo "== run $run: $bin's Client against the Python Client ($python)"
    # Rounds of the Rust and the Python Client alternate, one process each, so that the
    # machine's noise falls on both alike; the best round of each is compared.
    : > "$out.rust"; : > "$out.python"
    for _ in $(seq "$ROUNDS"); do
      # The Rust Client alone (ONLY=client): its rate and its CPU time per push, from time(1).
      ONLY=client /usr/bin/time -f "%e %U %S" -o "$out.time" "$bin" "$url" "$N"
      awk -v n="$N" '{ printf "Rust Client %.0f/s, %.0f µs of CPU per push\n", n / $1, ($2 + $3) / n * 1e6 }' \
        "$out.time" | tee -a "$out.rust"
      "$python" bench/python_client.py "$url" "$N" 1 | tail -n1 | tee -a "$out.python"
    done
    rust=$(sed -n 's/^Rust Client \([0-9]*\)\/s.*/\1/p' "$out.rust" | sort -n | tail -n1)
    rust_cpu=$(sed -n 's/.*, \([0-9]*\) µs of CPU.*/\1/p' "$out.rust" | sort -n | head -n1)
    py=$(sed -n 's/^best .*Python Client \([0-9]*\)\/s.*/\1/p' "$out.python" | sort -n | tail -n1)
    py_cpu=$(sed -n 's/.*, \([0-9]*\) µs of CPU.*/\1/p' "$out.python" | sort -n | head -n1)
    echo "best of $ROUNDS: Rust Client $rust/s ($rust_cpu µs CPU/push), Python Client $py/s ($py_cpu µs CPU/push), Python / Rust = $(echo "scale=2; $py / $rust" | bc)"
  done
done
