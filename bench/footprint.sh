#!/usr/bin/env bash
# Footprint (issue 26): what lto, codegen-units and opt-level do to libpyun.so's stripped size,
# to the time of a cold build of it, and to the speed of what it ships: pyun_sign and
# pyun_client_build_request through the library itself (bench/c/handles.c) and the Client's
# pushes against one sandbox (bench/src/bin/client_vs_replay.rs, the same code built under the
# same profile). Each variant is a cargo profile inheriting `release` with its settings given on
# the command line (--config), so no Cargo.toml edit per variant; each builds cold into its own
# profile directory of one target directory of its own, so the build times compare.
#   bash bench/footprint.sh
#   FOOTPRINT_TARGET_DIR=/tmp/fp   the target directory (default target/footprint; rm -rf it after)
#   VARIANTS="baseline fat-cu1"    a subset of the variants below
#   N=1000 RUNS=2                  pushes per client_vs_replay run; alternated runs of the benches
#   FOOTPRINT_LOCK=FILE            each build holds flock(FILE) (a machine whose builds take turns);
#                                  the build times count from when the lock is held
#   CLI=1                          also the `pyun` CLI of each variant (after the above, so its
#                                  time is what it adds): stripped size and build time
#   WINDOWS=1                      also the x64 pyun.dll of each variant, built as
#                                  scripts/windows.sh builds it (Debian's rustc-web, win7 target,
#                                  -Zbuild-std; needs the toolchain it unpacked), stripped size
#                                  and cold build time (not run: that is scripts/windows.sh's job)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
N=${N:-1000}; RUNS=${RUNS:-2}
dir=${FOOTPRINT_TARGET_DIR:-$root/target/footprint}
# The crates Cargo.toml's release profile builds for size (opt-level "s"): large, and off the
# hot path of sign / build / push. Every variant gives them its own opt-level unless it names
# them, so that a variant means the same whatever Cargo.toml's release profile says.
SIZE_PACKAGES="libsqlite3-sys ring rustls rustls-webpki encoding_rs ureq ureq-proto http multer"
size_s=$(for p in $SIZE_PACKAGES; do printf ' package.%s.opt-level="s"' "$p"; done)
# name: profile settings (TOML values) on top of `release`. The baseline spells out cargo's
# release defaults, so that it stays the "before" whatever Cargo.toml's release profile says.
declare -A SETTINGS=(
  [baseline]='lto=false codegen-units=16 opt-level=3'
  [thin]='lto="thin" codegen-units=16 opt-level=3'
  [fat-cu1]='lto="fat" codegen-units=1 opt-level=3'
  [fat-cu1-s]='lto="fat" codegen-units=1 opt-level="s"'
  [fat-cu1-lean]='lto="fat" codegen-units=1 opt-level=3'
  [small]='lto="fat" codegen-units=1 opt-level="s" package.pyun-core.opt-level=3 package.pyun-ffi.opt-level=3 package.md-5.opt-level=3 package.serde_json.opt-level=3'
  [cold-s]="lto=\"fat\" codegen-units=1 opt-level=3$size_s"
  [small-sqlite3]='lto="fat" codegen-units=1 opt-level="s" package.pyun-core.opt-level=3 package.pyun-ffi.opt-level=3 package.md-5.opt-level=3 package.serde_json.opt-level=3 package.libsqlite3-sys.opt-level=3'
)
# Variants built with LIBSQLITE3_FLAGS (libsqlite3-sys's bundled build reads it; the others with
# it empty): SQLite's extensions that it turns on and pyun never uses (full-text search,
# R-trees, the dbstat table, STAT4 statistics, soundex, column metadata), as .cargo/config.toml
# sets it for every build. JSON stays: the outbox's overview uses it.
LEAN_SQLITE="-USQLITE_ENABLE_FTS3 -USQLITE_ENABLE_FTS3_PARENTHESIS -USQLITE_ENABLE_FTS5 -USQLITE_ENABLE_RTREE -USQLITE_ENABLE_DBSTAT_VTAB -USQLITE_ENABLE_STAT4 -USQLITE_SOUNDEX -USQLITE_ENABLE_COLUMN_METADATA"
declare -A SQLITE_FLAGS=([fat-cu1-lean]=$LEAN_SQLITE [small]=$LEAN_SQLITE [small-sqlite3]=$LEAN_SQLITE [cold-s]=$LEAN_SQLITE)
VARIANTS=${VARIANTS:-baseline thin fat-cu1 fat-cu1-s fat-cu1-lean small small-sqlite3 cold-s}
out=$dir/results
mkdir -p "$out"

# profile_args VARIANT: the cargo arguments that define and select its profile.
profile_args() {
  local p=fp-$1 kv level=3 pkg
  printf '%s\n' --profile "$p" --config "profile.$p.inherits=\"release\""
  for kv in ${SETTINGS[$1]}; do
    printf '%s\n' --config "profile.$p.$kv"
    case $kv in opt-level=*) level=${kv#opt-level=} ;; esac
  done
  for pkg in $SIZE_PACKAGES; do
    case " ${SETTINGS[$1]}" in
      *" package.$pkg."*) ;;
      *) printf '%s\n' --config "profile.$p.package.$pkg.opt-level=$level" ;;
    esac
  done
}

secs() { local t0=$1; echo $(($(date +%s) - t0)); }
mtime() { stat -c %Y "$1" 2>/dev/null || echo none; }
# kept FILE ARTIFACT MTIME_BEFORE SECS: the build time of ARTIFACT, SECS when this build made it,
# else the one FILE recorded when it was made (a variant built before keeps its cold times).
kept() {
  [ "$3" = "$(mtime "$2")" ] && [ -f "$1" ] || echo "$4" > "$1"
  cat "$1"
}
lock() { [ -z "${FOOTPRINT_LOCK:-}" ] || flock 9; }
unlock() { [ -z "${FOOTPRINT_LOCK:-}" ] || flock -u 9; }
[ -z "${FOOTPRINT_LOCK:-}" ] || exec 9>"$FOOTPRINT_LOCK"

# The sandbox every push goes to: the release `pyun` of this tree, one for all variants.
lock
cargo build -q --release -p pyun-cli
unlock
for v in $VARIANTS; do
  [ -n "${SETTINGS[$v]:-}" ] || { echo "unknown variant $v (${!SETTINGS[*]})" >&2; exit 1; }
  mapfile -t args < <(profile_args "$v")
  # Set even when empty: .cargo/config.toml's [env] (the lean flags) gives way to it.
  export LIBSQLITE3_FLAGS=${SQLITE_FLAGS[$v]:-}
  echo "== $v (${SETTINGS[$v]}${SQLITE_FLAGS[$v]:+, LIBSQLITE3_FLAGS=${SQLITE_FLAGS[$v]}}): building"
  # A variant built before (its library unchanged by this build) keeps its cold build times.
  before=$(mtime "$dir/fp-$v/libpyun.so") before_cli=$(mtime "$dir/fp-$v/pyun")
  lock
  t0=$(date +%s)
  CARGO_TARGET_DIR=$dir cargo build -q --locked -p pyun-ffi --lib "${args[@]}"
  ffi_secs=$(secs "$t0")
  t0=$(date +%s)
  CARGO_TARGET_DIR=$dir cargo build -q --locked -p pyun-bench --bin client_vs_replay "${args[@]}"
  bench_secs=$(secs "$t0")
  if [ "${CLI:-}" = 1 ]; then
    t0=$(date +%s)
    CARGO_TARGET_DIR=$dir cargo build -q --locked -p pyun-cli --bin pyun "${args[@]}"
    cli_secs=$(secs "$t0")
  fi
  unlock
  mkdir -p "$out/$v"
  strip -o "$out/$v/libpyun.so" "$dir/fp-$v/libpyun.so"
  cp "$dir/fp-$v/client_vs_replay" "$out/$v/"
  gcc -std=c99 -O2 -Wall -Wextra -Werror -pthread -Iinclude -o "$out/$v/handles" bench/c/handles.c \
    -L"$out/$v" -lpyun
  if [ "$before" != "$(stat -c %Y "$dir/fp-$v/libpyun.so")" ] || [ ! -f "$out/$v/build.tsv" ]; then
    printf '%s\t%s\t%s\t%s\n' "$v" "$(stat -c %s "$out/$v/libpyun.so")" "$ffi_secs" "$bench_secs" > "$out/$v/build.tsv"
  fi
  IFS=$'\t' read -r _ _ ffi_secs bench_secs < "$out/$v/build.tsv"
  if [ "${CLI:-}" = 1 ]; then
    strip -o "$out/$v/pyun" "$dir/fp-$v/pyun"
    cli_secs=$(kept "$out/$v/cli.time" "$dir/fp-$v/pyun" "$before_cli" "$cli_secs")
    echo "   pyun (CLI) $(stat -c %s "$out/$v/pyun") bytes stripped; built after the above in ${cli_secs}s"
  fi
  echo "   libpyun.so $(stat -c %s "$out/$v/libpyun.so") bytes stripped; cold build of pyun-ffi ${ffi_secs}s, then client_vs_replay ${bench_secs}s"
  if [ "${WINDOWS:-}" = 1 ]; then
    # shellcheck source=scripts/rust-web.sh
    . scripts/rust-web.sh
    rust_web_toolchain "$root" 96
    target=x86_64-win7-windows-gnu
    lock
    before_dll=$(mtime "$dir/windows/$target/fp-$v/pyun.dll")
    t0=$(date +%s)
    env -u RUSTFLAGS -u CARGO_BUILD_TARGET -u RUSTC_WRAPPER \
      RUSTC="$RUST_WEB_PREFIX/usr/bin/rustc" RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="$dir/windows" \
      CARGO_TARGET_X86_64_WIN7_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc \
      CC_x86_64_win7_windows_gnu=x86_64-w64-mingw32-gcc AR_x86_64_win7_windows_gnu=x86_64-w64-mingw32-ar \
      "$RUST_WEB_PREFIX/usr/bin/cargo" build -q --locked -p pyun-ffi --lib --target "$target" \
      -Zbuild-std=std,panic_unwind "${args[@]}"
    win_secs=$(kept "$out/$v/windows.time" "$dir/windows/$target/fp-$v/pyun.dll" "$before_dll" "$(secs "$t0")")
    unlock
    x86_64-w64-mingw32-strip -o "$out/$v/pyun.dll" "$dir/windows/$target/fp-$v/pyun.dll"
    echo "   pyun.dll (x64) $(stat -c %s "$out/$v/pyun.dll") bytes stripped; cold build ${win_secs}s"
  fi
done

# shellcheck source=scripts/sandbox.sh
. scripts/sandbox.sh
sandbox_log=$(mktemp)
trap 'stop_sandboxes; rm -f "$sandbox_log"' EXIT
PYUN_APP_SECRET=123 start_sandbox target/release/pyun "$sandbox_log"
url=$STARTED_URL
# Alternated, so that the machine's noise falls on every variant alike.
for run in $(seq "$RUNS"); do
  for v in $VARIANTS; do
    echo "== run $run: $v"
    LD_LIBRARY_PATH="$out/$v" "$out/$v/handles" 5 | tee "$out/$v/handles.$run" | sed -n '2,3p'
    "$out/$v/client_vs_replay" "$url" "$N" 2 | tail -n1 | tee "$out/$v/push.$run"
  done
done

echo "== footprint: best of $RUNS runs"
printf '| variant | profile | libpyun.so stripped | cold build of pyun-ffi | + client_vs_replay | pyun_sign | build_request | Client pushes/s | replay pushes/s |\n'
printf '|---|---|---|---|---|---|---|---|---|\n'
for v in $VARIANTS; do
  IFS=$'\t' read -r _ size ffi_secs bench_secs < "$out/$v/build.tsv"
  sign=$({ cat "$out/$v"/handles.* 2>/dev/null || true; } | awk '$1 == "sign" && $3 == "ns/call" { print $2 }' | sort -n | head -n1)
  build=$({ cat "$out/$v"/handles.* 2>/dev/null || true; } | awk '$1 == "build_request" && $3 == "ns/call" { print $2 }' | sort -n | head -n1)
  push=$({ cat "$out/$v"/push.* 2>/dev/null || true; } | sed -n 's/.*Client \([0-9]*\)\/s.*/\1/p' | sort -n | tail -n1)
  replay=$({ cat "$out/$v"/push.* 2>/dev/null || true; } | sed -n 's/.*: replay \([0-9]*\)\/s.*/\1/p' | sort -n | tail -n1)
  printf '| %s | %s | %.2f MB | %s s | %s s | %s ns | %s ns | %s | %s |\n' "$v" "${SETTINGS[$v]}" \
    "$(echo "$size / 1000000" | bc -l)" "$ffi_secs" "$bench_secs" "$sign" "$build" "$push" "$replay"
done
