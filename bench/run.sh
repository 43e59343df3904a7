#!/usr/bin/env bash
# Runs every benchmark side by side with its alternative, on this machine, in one go.
# The figures go into docs/BENCHMARKS.md by hand, with this command.
#   bash bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-2000}
python3 -m venv .venv-bench >/dev/null 2>&1 || true
.venv-bench/bin/pip install -q requests ./bindings-python
cargo build -q --release -p pyun-cli -p pyun-bench

echo "== signing and hashing (criterion)"
cargo bench -q -p pyun-bench --bench signing 2>/dev/null | grep -E "^[a-z_]+/|time:|thrpt:"
echo "== signing vs bare MD5, interleaved rounds"
target/release/sign_vs_md5
echo "== md5 of a 4 MiB buffer: openssl speed / md5sum"
openssl speed -bytes 4194304 -seconds 3 md5 2>/dev/null | tail -1
head -c 209715200 /dev/urandom > /tmp/pyun-bench-200m
/usr/bin/time -f "md5sum 200 MiB: %e s" md5sum /tmp/pyun-bench-200m >/dev/null
rm -f /tmp/pyun-bench-200m

echo "== multipart body for a 20 MB photo: peak memory"
target/release/multipart_memory

echo "== pushes per second against one sandbox (N=$N)"
out=$(mktemp)
target/release/pyun sandbox --port 0 --app-secret 123 >"$out" 2>/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 50); do grep -q listening "$out" && break; sleep 0.1; done
url=$(head -n1 "$out" | sed 's/.* on //')
target/release/push_throughput "$url" "$N"
.venv-bench/bin/python bench/python_push.py "$url" "$N"

echo "== durable outbox: enqueues/s, and draining a 10,000-record backlog vs pushing it directly"
target/release/outbox "$url"

echo "== enqueue vs raw SQLite (WAL, synchronous=FULL, one insert per commit): syncs per record, rates (Rust, Python)"
N=$N THREADS=1 PYTHON=.venv-bench/bin/python bash bench/enqueue_syncs.sh
echo "== 16 threads enqueueing into one outbox vs raw SQLite committing 16 rows per transaction (Rust, Python)"
N=$N THREADS=16 PYTHON=.venv-bench/bin/python bash bench/enqueue_syncs.sh

echo "== the background sender: enqueue latency with and without it, enqueue -> accepted at 10/s"
target/release/sender_latency "$url" 200

echo "== cost on an empty outbox and push store vs 1,000,000 records in each"
bash bench/scale.sh

echo "== pyun console: server time of the first paint on a 1,000,000-record outbox"
target/release/console_first_paint target/release/pyun --records 1000000

echo "== pyun.sign vs sorted + hashlib.md5 (Python, the installed wheel)"
.venv-bench/bin/python bench/python_sign.py

echo "== the Client against the sandbox's replay ceiling, one connection, 57 KB photo; the Python Client against it"
PYTHON=.venv-bench/bin/python N=$N RUNS=1 bash bench/client_replay.sh
echo "== the sandbox's memory after 1,000,000 requests"
N=1000000 bash bench/sandbox_memory.sh
echo "== footprint: lto, codegen-units, opt-level and SQLite's extensions against size, build time, sign and push"
FOOTPRINT_TARGET_DIR=target/footprint N=$N bash bench/footprint.sh
rm -rf target/footprint
