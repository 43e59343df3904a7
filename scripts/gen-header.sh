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
