#!/usr/bin/env bash
# The sandbox's resident memory after N requests (bench/src/bin/sandbox_memory.rs): one
# connection of signed enter pushes, every tenth a resend, RSS every N/10 requests.
#   N=1000000 bash bench/sandbox_memory.sh [PYUN_BINARY...]
# Each binary (default: the release `pyun`) serves a fresh run; to compare with older code,
# build `pyun` there and pass both.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000000}
cargo build -q --release -p pyun-cli -p pyun-bench
bins=("$@"); [ ${#bins[@]} -gt 0 ] || bins=(target/release/pyun)
for bin in "${bins[@]}"; do
  target/release/sandbox_memory "$bin" "$N"
done
