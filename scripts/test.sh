#!/usr/bin/env bash
# Runs every test of pyun on a fresh machine, installing what it needs first (CI is root on a
# new Debian machine with the Rust toolchain, Python 3 and gcc; everything else comes from
# crates.io, PyPI and Debian's packages).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

echo "== fmt, clippy"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings

echo "== Rust API docs build without warnings (broken links included)"
RUSTDOCFLAGS="-D warnings" cargo doc -q --no-deps --workspace
echo "== no import cycle among the modules of a crate"
python3 scripts/module-cycles.py core/src ffi-c/src cli/src sandbox/src bindings-python/src
echo "== header is fresh"
bash scripts/gen-header.sh --check
echo "== kits' declarations are fresh and complete (C#, VB6, Pascal; docs/kits.md)"
cargo run -q -p xtask -- check-kits

echo "== Rust tests (core, sandbox end to end, CLI)"
cargo test --workspace

echo "== main job"
cargo run -q --release -p pyun-cli -- demo

echo "== the README's \"Using it\" block, command by command, against the sandbox"
if ! command -v curl >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends curl >/dev/null
fi
python3 scripts/readme-test.py target/release

for part in test-c test-python test-console windows; do
  if [ -f "scripts/$part.sh" ]; then
    echo "== $part ($(date -u +%T))"
    bash "scripts/$part.sh"
  fi
done
echo "== the Windows wheel under wine, then the wheels and their test counts ($(date -u +%T))"
bash scripts/wheels.sh windows report
echo "== all tests passed"
