#!/usr/bin/env bash
# Issue 26: disk syncs (fsync + fdatasync) per durable record, counted with `strace -c -f`, for
# pyun's Outbox::enqueue and for raw SQLite (WAL, synchronous=FULL, THREADS rows per commit),
# then the interleaved rates of both; with PYTHON (an interpreter with the `pyun` wheel
# installed), the same rates through the Python binding against Python's sqlite3
# (bench/python_enqueue.py). Needs a release build of pyun-bench.
#   N=1000 THREADS=1 [PYTHON=.venv-bench/bin/python] bash bench/enqueue_syncs.sh [target/release/enqueue_vs_sqlite]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-target/release/enqueue_vs_sqlite}
N=${N:-1000}
THREADS=${THREADS:-1}
for side in pyun sqlite; do
    out=$(mktemp)
    strace -f -c -o "$out" "$BIN" --only "$side" --n "$N" --threads "$THREADS" >/dev/null
    syncs=$(awk '$NF ~ /^(fsync|fdatasync)$/ { n += $4 } END { print n + 0 }' "$out")
    awk -v s="$syncs" -v n="$N" -v side="$side" \
        'BEGIN { printf "%-6s %d records, %d syncs: %.2f syncs per record\n", side, n, s, s / n }'
    rm -f "$out"
done
"$BIN" --n "$N" --threads "$THREADS" --rounds "${ROUNDS:-5}"
if [ -n "${PYTHON:-}" ]; then
    "$PYTHON" bench/python_enqueue.py "$N" "$THREADS" "${ROUNDS:-5}"
fi
