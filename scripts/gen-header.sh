#!/usr/bin/env bash
# Regenerates include/pyun.h from ffi-c/ with the pinned cbindgen.
#   scripts/gen-header.sh           write include/pyun.h
#   scripts/gen-header.sh --check   fail if include/pyun.h is not what the code generates
set -euo pipefail
cd "$(dirname "$0")/.."
CBINDGEN_VERSION=0.27.0
if ! cbindgen --version 2>/dev/null | grep -q " $CBINDGEN_VERSION\$"; then
  cargo install cbindgen --version "$CBINDGEN_VERSION" --locked
fi
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
IFS=. read -r major minor patch <<<"$version"
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
cbindgen --quiet --config ffi-c/cbindgen.toml --crate pyun-ffi --output "$tmp" ffi-c
sed -i "s/@MAJOR@/$major/; s/@MINOR@/$minor/; s/@PATCH@/$patch/; s/@VERSION@/$version/" "$tmp"
# cbindgen writes `// __cplusplus` after its own #endif and `}`: C89 has no // comments.
# and a comma after an enum's last value, which C89 and C++98 refuse.
sed -i 's#^\(\#endif\|}\) *// \(.*\)$#\1  /* \2 */#' "$tmp"
sed -i -z 's/,\(\n} [a-z_]*;\)/\1/g' "$tmp"
if [ "${1:-}" = "--check" ]; then
  if ! diff -u include/pyun.h "$tmp"; then
    echo "include/pyun.h is stale: run scripts/gen-header.sh and commit it" >&2
    exit 1
  fi
  echo "include/pyun.h is fresh"
else
  mkdir -p include
  cp "$tmp" include/pyun.h
  echo "wrote include/pyun.h"
fi
