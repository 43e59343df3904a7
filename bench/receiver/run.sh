#!/usr/bin/env bash
# Verified, durably stored pushes per second: `pyun listen` versus a hand-written Flask +
# hashlib + SQLite receiver under waitress. Same load generator (wrk, one script), same pushes
# (pre-signed, distinct keys, urlencoded), same durability (SQLite WAL, synchronous=FULL: every
# ack after the fsync of the commit holding the push).
#   bash bench/receiver/run.sh          (N distinct pushes, D seconds, C connections)
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${N:-150000}; D=${D:-10}; C=${C:-32}; SECRET=bench-secret
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check flask waitress
.venv/bin/python -c 'import pyun' 2>/dev/null || .venv/bin/pip install -q --disable-pip-version-check ./bindings-python
cargo build -q --release -p pyun-cli
mkdir -p target
work=$(mktemp -d -p "$PWD/target")   # on the disk, not a tmpfs: fsync must cost what it costs
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
.venv/bin/python bench/receiver/make_bodies.py "$N" "$SECRET" "$work/bodies.txt"
port=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

load() {  # name db
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break || sleep 0.1; done
  BODIES="$work/bodies.txt" WRK_THREADS=2 wrk -t2 -c"$C" -d"${D}s" --latency -s bench/receiver/push.lua \
    "http://127.0.0.1:$port" | tee "$work/$1.wrk" | grep -E "Requests/sec|not acknowledged|99%|Non-2xx|Latency "
  sleep 0.5
  rows=$(.venv/bin/python -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from pushes').fetchone()[0])" "$2")
  echo "$1: $rows distinct pushes stored in ${D} s = $((rows / D)) stored pushes/s"
}

echo "== pyun listen (no handler: storing is the handling)"
target/release/pyun listen --port "$port" --app-secret "$SECRET" --db "$work/listen.db" >"$work/listen.log" &
pid=$!
load pyun-listen "$work/listen.db"
kill -TERM $pid; wait $pid || true

echo "== Flask + hashlib + sqlite3 under waitress (8 threads)"
.venv/bin/python bench/receiver/flask_receiver.py "$port" "$SECRET" "$work/flask.db" &
pid=$!
load flask-waitress "$work/flask.db"
kill -TERM $pid; wait $pid || true
