#!/usr/bin/env bash
# Runs every test of pyun on a fresh machine: installs what it needs first (you are root in CI).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

echo "== fmt, clippy"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings

echo "== Rust tests"
cargo test --workspace
