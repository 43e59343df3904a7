#!/usr/bin/env bash
# `pip install` of the manylinux wheel against `pip install ./bindings-python` (a source build),
# side by side in one run (docs/BENCHMARKS.md): ROUNDS rounds, each with a fresh venv per side
# and the source build in a fresh CARGO_TARGET_DIR, as on a user's machine (crates.io downloads
# stay cached in ~/.cargo, pip's in ~/.cache/pip, on both sides alike).
#
#   bash scripts/wheels.sh linux && bash bench/pip_install.sh [ROUNDS]   (default 2)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-2}
wheel=$(ls target/wheels/pyun-*-manylinux*.whl)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
echo "wheel: $(basename "$wheel"); python: $(python3 --version); $(nproc) cores"
for r in $(seq 1 "$ROUNDS"); do
  python3 -m venv "$tmp/wheel$r" && python3 -m venv "$tmp/source$r"
  t=$(now)
  "$tmp/wheel$r/bin/pip" install -q --disable-pip-version-check "$wheel"
  wheel_s=$(since "$t")
  t=$(now)
  CARGO_TARGET_DIR=$tmp/target$r "$tmp/source$r/bin/pip" install -q --disable-pip-version-check ./bindings-python
  source_s=$(since "$t")
  for side in wheel source; do  # both installed something that works
    "$tmp/$side$r/bin/python" -c 'import pyun; assert pyun.sign({"a": "1"}, "s")'
  done
  rm -rf "$tmp/target$r"
  echo "round $r: pip install <wheel> ${wheel_s} s, pip install ./bindings-python ${source_s} s"
done
