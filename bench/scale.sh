#!/usr/bin/env bash
# Issue 26: the cost of each everyday operation (enqueue, drain per record, status, find,
# events from a cursor, pushes list pages) on an empty outbox and push store and on ones of
# RECORDS records (default 1,000,000), side by side in one run (bench/src/bin/scale.rs). Needs a release build of pyun-cli and pyun-bench. The databases
# (about 1.2 GB at 1,000,000) go to DIR (default: the system temporary directory) and are
# removed at the end.
#   RECORDS=1000000 DIR=/tmp [SCALE=target/release/scale] bash bench/scale.sh [PYUN_BIN...]
# Several PYUN_BINs (before and after a change) measure each CLI row with each, on the same files.
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE=${SCALE:-target/release/scale}
[ $# -gt 0 ] || set -- target/release/pyun
"$SCALE" "$@" --records "${RECORDS:-1000000}" --dir "${DIR:-${TMPDIR:-/tmp}}"
