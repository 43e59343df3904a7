#!/usr/bin/env bash
# What the C ABI's handle and string checks cost (issue 17): bench/c/handles.c against the
# release libpyun.so of this tree, and, with BASE, against the one of another git revision,
# the two alternated RUNS times so that the machine's noise falls on both alike.
#   bash bench/c/handles.sh                  this tree only
#   BASE=main bash bench/c/handles.sh        before (main) and after (this tree)
# ROUNDS (default 7): rounds per run, the best is printed. RUNS (default 3).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
ROUNDS=${ROUNDS:-7}
RUNS=${RUNS:-3}
out=$root/target/bench-c
rm -rf "$out"
mkdir -p "$out/after"
sides=after
if [ -n "${BASE:-}" ]; then
  # The other revision is built in a temporary copy, into a target directory of its own
  # (target/bench-base, kept for the next run): sharing target/ would leave the other
  # revision's libpyun.so in target/release, which cargo does not replace while it thinks this
  # tree's build is fresh.
  src=$(mktemp -d)
  trap 'rm -rf "$src"' EXIT
  git archive "$BASE" | tar -x -C "$src"
  (cd "$src" && CARGO_TARGET_DIR="$root/target/bench-base" cargo build -q --release -p pyun-ffi)
  mkdir -p "$out/before"
  cp "$root/target/bench-base/release/libpyun.so" "$out/before/"
  sides="before after"
fi
cargo build -q --release -p pyun-ffi
cp "$root/target/release/libpyun.so" "$out/after/"
# No rpath: LD_LIBRARY_PATH picks the library of each side.
gcc -std=c99 -O2 -Wall -Wextra -Werror -pthread -Iinclude -o "$out/handles" bench/c/handles.c \
  -L"$out/after" -lpyun
for run in $(seq 1 "$RUNS"); do
  for side in $sides; do
    echo "== run $run: $side"
    LD_LIBRARY_PATH="$out/$side" "$out/handles" "$ROUNDS"
  done
done
