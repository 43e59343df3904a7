#!/usr/bin/env bash
# Issue 26: the cost of each everyday operation (enqueue, drain per record, status, find,
# events from a cursor, pushes list pages) on an empty outbox and push store and on ones of
# RECORDS records (default 1,000,000), side by side in one run (bench/src/bin/scale.rs). Needs a release build of pyun-cli and pyun-bench. The databases
# (about 1.2 GB at 1,000,000) go to DIR (default: the system temporary directory) and are
# removed at the end.
#   RECORDS=1000000 DIR=/tmp bash bench/scale.sh [PYUN_BIN] [SCALE_BIN]
set -euo pipefail
cd "$(dirname "$0")/.."
PYUN=${1:-target/release/pyun}
SCALE=${2:-target/release/scale}
"$SCALE" "$PYUN" --records "${RECORDS:-1000000}" --dir "${DIR:-${TMPDIR:-/tmp}}"
