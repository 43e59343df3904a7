#!/usr/bin/env bash
# Build pyun's `core/` (and `ffi-c/` when it exists) with Debian's rustc 1.63,
# for the host (MSRV check) or for x86_64-pc-windows-gnu (the Windows 7 DLL); with a rustup
# 1.63 toolchain (MSRV_RUSTC/MSRV_CARGO) also for i686-pc-windows-gnu (docs/windows.md).
#
# usage: scripts/msrv/vendor-build.sh REPO_ROOT TARGET OUT_DIR [-- EXTRA_CARGO_BUILD_ARGS...]
#   TARGET: x86_64-unknown-linux-gnu  (quick MSRV check)
#           x86_64-pc-windows-gnu     (pyun.dll / libpyun.dll.a / libpyun.a)
#           i686-pc-windows-gnu       (32-bit pyun.dll; needs MSRV_RUSTC/MSRV_CARGO from rustup:
#                                      Debian ships no i686 Windows std)
#
# Why it works this way: Debian's cargo (bookworm: 1.65, paired with rustc 1.63)
# cannot talk to the registry (no sparse protocol), and the current rustup
# cargo cannot drive rustc 1.63. So:
#   1. copy only core/ and ffi-c/ into a temp workspace (dev-dependencies
#      stripped: they are never built here and would drag newer crates in);
#   2. resolve a 1.63-compatible Cargo.lock with the *current* cargo, using
#      the MSRV-aware fallback resolver plus the pins in MSRV_PINS below;
#   3. `cargo vendor` with the current cargo;
#   4. build offline with /usr/bin/cargo + RUSTC=/usr/bin/rustc (or MSRV_CARGO + MSRV_RUSTC).
#
# Environment knobs (all optional):
#   MSRV_NEW_CARGO   current cargo used to resolve/vendor (default: ~/.cargo/bin/cargo, else `cargo` on PATH)
#   MSRV_LOCK        use this Cargo.lock instead of resolving (e.g. scripts/msrv/Cargo.lock, or
#                    one a previous run left in OUT_DIR); fails if it no longer fits the manifests
#   MSRV_LOCK_FALLBACK=1  with MSRV_LOCK: resolve anew (with a note) instead of failing then
#   MSRV_WORK_DIR    persistent work dir (its target/ is reused between runs: faster); default: mktemp, removed
#   MSRV_PROFILE     release (default) or dev
#   MSRV_NO_APT=1    never run apt-get (fail instead if a tool is missing)
#   MSRV_RUSTC, MSRV_CARGO  the old toolchain that builds (default Debian's /usr/bin/rustc and
#                    /usr/bin/cargo), e.g. a rustup 1.63.0 toolchain with the i686 Windows std
#
# Outputs in OUT_DIR: the built libraries/binaries, Cargo.lock (the resolved
# 1.63-compatible lockfile) and build-info.txt.
set -euo pipefail

# ---------------------------------------------------------------------------
# Precise pins: crates whose newest semver-compatible release still claims (or
# lacks) a rust-version the fallback resolver accepts but does not build on 1.63.
# Format: "crate@version", applied in order with `cargo update --precise`.
#   serde/serde_derive > 1.0.219 split out serde_core and need a newer syn
#   (the resolver otherwise picks syn 3.x, which requires rustc 1.71);
#   serde_json >= 1.0.144 requires serde >= 1.0.220, so it goes with them.
MSRV_PINS=(
  "serde_json@1.0.143"
  "serde@1.0.219"
  "serde_derive@1.0.219"
)
MSRV_RUST_VERSION="1.63"
# Crates copied from the repo, in order; missing ones are skipped (core/ is required).
MSRV_CRATES=(core ffi-c)
# ---------------------------------------------------------------------------

die() { echo "vendor-build: error: $*" >&2; exit 1; }
log() { echo "vendor-build: $*" >&2; }

[ $# -ge 3 ] || die "usage: $0 REPO_ROOT TARGET OUT_DIR [-- EXTRA_CARGO_BUILD_ARGS...]"
REPO_ROOT=$(cd "$1" && pwd) || die "no such repo root: $1"
TARGET=$2
OUT_DIR=$3
shift 3
if [ $# -gt 0 ] && [ "$1" = "--" ]; then shift; fi
EXTRA_ARGS=("$@")
# MSRV_LOCK is read after a cd: make it absolute
if [ -n "${MSRV_LOCK:-}" ]; then
  [ -f "$MSRV_LOCK" ] || die "MSRV_LOCK: no such file: $MSRV_LOCK"
  MSRV_LOCK=$(cd "$(dirname "$MSRV_LOCK")" && pwd)/$(basename "$MSRV_LOCK")
fi
PROFILE=${MSRV_PROFILE:-release}
case "$PROFILE" in
  release) PROFILE_ARGS=(--release); PROFILE_DIR=release ;;
  dev)     PROFILE_ARGS=();          PROFILE_DIR=debug ;;
  *) die "MSRV_PROFILE must be release or dev" ;;
esac
[ -f "$REPO_ROOT/core/Cargo.toml" ] || die "$REPO_ROOT/core/Cargo.toml not found"

# --- tools ------------------------------------------------------------------
BUILD_RUSTC=${MSRV_RUSTC:-/usr/bin/rustc}
BUILD_CARGO=${MSRV_CARGO:-/usr/bin/cargo}
BUILD_RUSTDOC=$(dirname "$BUILD_RUSTC")/rustdoc
APT_PKGS=()
[ -n "${MSRV_RUSTC:-}" ] || [ -x /usr/bin/rustc ] || APT_PKGS+=(rustc)
[ -n "${MSRV_CARGO:-}" ] || [ -x /usr/bin/cargo ] || APT_PKGS+=(cargo)
command -v python3 >/dev/null 2>&1 || APT_PKGS+=(python3)
# bundled C code (ring, sqlite, ...) needs a C compiler for the host, build scripts too
command -v cc >/dev/null 2>&1 || APT_PKGS+=(gcc)
case "$TARGET" in
  x86_64-pc-windows-gnu)
    [ -n "${MSRV_RUSTC:-}" ] || [ -d /usr/lib/rustlib/x86_64-pc-windows-gnu/lib ] || APT_PKGS+=(libstd-rust-dev-windows)
    command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 || APT_PKGS+=(gcc-mingw-w64-x86-64)
    ;;
  i686-pc-windows-gnu)
    command -v i686-w64-mingw32-gcc >/dev/null 2>&1 || APT_PKGS+=(gcc-mingw-w64-i686)
    ;;
  x86_64-unknown-linux-gnu) ;;
  *) log "warning: untested target $TARGET" ;;
esac
if [ ${#APT_PKGS[@]} -gt 0 ]; then
  [ "${MSRV_NO_APT:-0}" = 1 ] && die "missing Debian packages: ${APT_PKGS[*]}"
  log "installing Debian packages: ${APT_PKGS[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${APT_PKGS[@]}" >&2
fi
[ -x "$BUILD_RUSTC" ] && [ -x "$BUILD_CARGO" ] || die "no $BUILD_RUSTC or $BUILD_CARGO"
SYSROOT=$("$BUILD_RUSTC" --print sysroot)
[ -d "$SYSROOT/lib/rustlib/$TARGET/lib" ] || die "no Rust std for $TARGET under $SYSROOT/lib/rustlib (Debian's libstd-rust-dev-windows has x86_64-pc-windows-gnu only; for i686 use a rustup toolchain: docs/windows.md)"

if [ -n "${MSRV_NEW_CARGO:-}" ]; then NEW_CARGO=$MSRV_NEW_CARGO
elif [ -x "$HOME/.cargo/bin/cargo" ]; then NEW_CARGO=$HOME/.cargo/bin/cargo
else NEW_CARGO=$(command -v cargo || true); fi
[ -n "$NEW_CARGO" ] && [ "$NEW_CARGO" != "$BUILD_CARGO" ] || die "need a current cargo (>= 1.84) besides $BUILD_CARGO; set MSRV_NEW_CARGO"
NEW_MINOR=$("$NEW_CARGO" --version | sed -n 's/^cargo 1\.\([0-9]*\)\..*/\1/p')
[ -n "$NEW_MINOR" ] && [ "$NEW_MINOR" -ge 84 ] || die "$NEW_CARGO is too old for the fallback resolver: $("$NEW_CARGO" --version)"
log "resolving with $("$NEW_CARGO" --version); building with $("$BUILD_RUSTC" --version) / $("$BUILD_CARGO" --version)"

# --- work dir ---------------------------------------------------------------
if [ -n "${MSRV_WORK_DIR:-}" ]; then
  WORK=$MSRV_WORK_DIR
  mkdir -p "$WORK"
  WORK=$(cd "$WORK" && pwd)
  # keep target/ (build cache), refresh everything else
  find "$WORK" -mindepth 1 -maxdepth 1 ! -name target -exec rm -rf {} +
else
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/pyun-msrv.XXXXXX")
  trap 'rm -rf "$WORK"' EXIT
fi
mkdir -p "$OUT_DIR"
OUT_DIR=$(cd "$OUT_DIR" && pwd)

MEMBERS=()
for c in "${MSRV_CRATES[@]}"; do
  if [ -f "$REPO_ROOT/$c/Cargo.toml" ]; then
    # copy sources without any build output
    mkdir -p "$WORK/$c"
    tar -C "$REPO_ROOT/$c" --exclude=./target -cf - . | tar -C "$WORK/$c" -xf -
    MEMBERS+=("$c")
  else
    log "note: $c/ not present, skipping it"
  fi
done
log "members: ${MEMBERS[*]}"
# Cargo judges path crates fresh by mtime. Sources copied from another tree (or restored from
# an older checkout) can be older than the last build in a reused MSRV_WORK_DIR and still
# differ: when their content changed since the last good build, make them all newer.
SRC_HASH=$(cd "$WORK" && find "${MEMBERS[@]}" -type f -print0 | LC_ALL=C sort -z \
  | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
if [ "$(cat "$WORK/target/.pyun-src-hash" 2>/dev/null || true)" != "$SRC_HASH" ]; then
  (cd "$WORK" && find "${MEMBERS[@]}" -type f -exec touch {} +)
fi

# --- manifests: minimal workspace root + members without dev-dependencies ----
python3 - "$REPO_ROOT/Cargo.toml" "$WORK" "$MSRV_RUST_VERSION" "${MEMBERS[@]}" <<'PY'
import json, os, re, sys, tomllib

root_manifest, work, msrv, members = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]

BARE = re.compile(r'^[A-Za-z0-9_-]+$')
def key(k): return k if BARE.match(k) else json.dumps(k)
def val(v):
    if isinstance(v, bool): return 'true' if v else 'false'
    if isinstance(v, (int, float)): return repr(v)
    if isinstance(v, str): return json.dumps(v, ensure_ascii=False)  # JSON escapes are valid TOML basic-string escapes
    if isinstance(v, list): return '[' + ', '.join(val(x) for x in v) + ']'
    if isinstance(v, dict): return '{ ' + ', '.join(f'{key(k)} = {val(x)}' for k, x in v.items()) + ' }'
    raise TypeError(f'cannot write {type(v)} to TOML')
def emit(path, table, out):
    scal = {k: v for k, v in table.items() if not isinstance(v, dict)}
    subs = {k: v for k, v in table.items() if isinstance(v, dict)}
    if path and (scal or not subs):
        out.append('[' + '.'.join(key(p) for p in path) + ']')
    for k, v in scal.items():
        out.append(f'{key(k)} = {val(v)}')
    if path and (scal or not subs): out.append('')
    for k, v in subs.items():
        emit(path + [k], v, out)

root = {}
if os.path.exists(root_manifest):
    with open(root_manifest, 'rb') as f:
        root = tomllib.load(f)
ws = root.get('workspace', {})
new_ws = {'resolver': ws.get('resolver', '2'), 'members': members}
pkg = dict(ws.get('package', {}))
pkg.setdefault('rust-version', msrv)
new_ws['package'] = pkg
deps = {}
for name, spec in ws.get('dependencies', {}).items():
    # path dependencies to crates we did not copy cannot be used here
    if isinstance(spec, dict) and 'path' in spec:
        p = os.path.normpath(spec['path'])
        if p.split(os.sep)[0] not in members:
            continue
    deps[name] = spec
if deps: new_ws['dependencies'] = deps
new_root = {'workspace': new_ws}
if 'profile' in root: new_root['profile'] = root['profile']
out = ['# generated by scripts/msrv/vendor-build.sh', '']
emit([], new_root, out)
with open(os.path.join(work, 'Cargo.toml'), 'w') as f:
    f.write('\n'.join(out) + '\n')

HDR = re.compile(r'^\s*\[\[?\s*([^\]]*?)\s*\]\]?\s*(#.*)?$')
def is_dev(h):
    parts = [p.strip().strip('"\'') for p in re.split(r'\.(?=(?:[^"\']|"[^"]*"|\'[^\']*\')*$)', h)]
    return 'dev-dependencies' in parts or 'dev_dependencies' in parts
for m in members:
    path = os.path.join(work, m, 'Cargo.toml')
    lines = open(path, encoding='utf-8').read().split('\n')
    kept, dropping = [], False
    for line in lines:
        mh = HDR.match(line)
        if mh:
            dropping = is_dev(mh.group(1))
        if not dropping:
            kept.append(line)
    text = '\n'.join(kept)
    data = tomllib.loads(text)
    def has_dev(t):
        return isinstance(t, dict) and any(k in ('dev-dependencies', 'dev_dependencies') or has_dev(v) for k, v in t.items())
    if has_dev(data):
        sys.exit(f'{path}: could not strip dev-dependencies (unusual layout?)')
    if 'rust-version' not in data.get('package', {}):
        # make the fallback resolver aim at the MSRV even if the crate does not say so
        text = re.sub(r'^(\s*\[package\]\s*)$', r'\1\nrust-version = "%s"' % msrv, text, count=1, flags=re.M)
        tomllib.loads(text)
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text)
PY

# --- resolve + vendor with the current cargo ---------------------------------
cd "$WORK"
RESOLVE=1
if [ -n "${MSRV_LOCK:-}" ]; then
  log "using lockfile $MSRV_LOCK"
  cp "$MSRV_LOCK" Cargo.lock
  RESOLVE=0
  # a lockfile that no longer fits the manifests (a dependency was added or changed)
  if ! CARGO_RESOLVER_INCOMPATIBLE_RUST_VERSIONS=fallback "$NEW_CARGO" metadata --locked \
       --format-version 1 >/dev/null 2>"$WORK/lock-check.log"; then
    if [ "${MSRV_LOCK_FALLBACK:-0}" = 1 ]; then
      log "note: $MSRV_LOCK no longer fits core/ and ffi-c/; resolving a new lockfile:"
      sed 's/^/vendor-build:   /' "$WORK/lock-check.log" >&2
      rm -f Cargo.lock
      RESOLVE=1
    else
      cat "$WORK/lock-check.log" >&2
      die "$MSRV_LOCK no longer fits the manifests (set MSRV_LOCK_FALLBACK=1 to resolve anew)"
    fi
  fi
fi
if [ "$RESOLVE" = 1 ]; then
  CARGO_RESOLVER_INCOMPATIBLE_RUST_VERSIONS=fallback "$NEW_CARGO" generate-lockfile
  for pin in "${MSRV_PINS[@]}"; do
    CARGO_RESOLVER_INCOMPATIBLE_RUST_VERSIONS=fallback "$NEW_CARGO" update "${pin%@*}" --precise "${pin#*@}"
  done
fi
# cargo 1.65 reads lockfile v3, not v4
sed -i 's/^version = 4$/version = 3/' Cargo.lock
rm -rf vendor
"$NEW_CARGO" vendor --quiet --locked --versioned-dirs vendor >/dev/null
cp Cargo.lock "$OUT_DIR/Cargo.lock"

mkdir -p .cargo
cat > .cargo/config.toml <<EOF
[source.crates-io]
replace-with = "vendored-sources"

[source.vendored-sources]
directory = "$WORK/vendor"

[net]
offline = true

[target.x86_64-pc-windows-gnu]
linker = "x86_64-w64-mingw32-gcc"
ar = "x86_64-w64-mingw32-ar"

[target.i686-pc-windows-gnu]
linker = "i686-w64-mingw32-gcc"
ar = "i686-w64-mingw32-ar"
EOF

# --- build with Debian's toolchain (or MSRV_CARGO + MSRV_RUSTC) --------------------------------------------
log "building ${MEMBERS[*]} for $TARGET ($PROFILE)"
# JSON messages on stdout (to find this build's artifacts), human diagnostics on stderr
env -u RUSTC_WRAPPER -u CARGO_BUILD_TARGET -u RUSTFLAGS \
  RUSTC="$BUILD_RUSTC" RUSTDOC="$BUILD_RUSTDOC" CARGO_TARGET_DIR="$WORK/target" \
  "$BUILD_CARGO" build --offline --locked --workspace "${PROFILE_ARGS[@]}" --target "$TARGET" \
  --message-format=json-render-diagnostics \
  ${EXTRA_ARGS[@]+"${EXTRA_ARGS[@]}"} > "$WORK/build-messages.json"

# --- collect the workspace members' artifacts ----------------------------------
python3 - "$WORK" "$OUT_DIR" "$WORK/build-messages.json" <<'PY'
import json, os, shutil, sys
work, out, msgs = sys.argv[1:4]
n = 0
for line in open(msgs, encoding='utf-8'):
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get('reason') != 'compiler-artifact' or not m.get('manifest_path', '').startswith(work + '/'):
        continue
    if '/vendor/' in m['manifest_path'] or 'custom-build' in m['target']['kind']:
        continue
    files = list(m.get('filenames', []))
    if m.get('executable'):
        files.append(m['executable'])
    for f in dict.fromkeys(files):
        if f.endswith(('.rmeta', '.d')):
            continue
        shutil.copy2(f, out)
        print('vendor-build: artifact', os.path.basename(f), file=sys.stderr)
        n += 1
if n == 0:
    sys.exit('vendor-build: error: the build produced no artifacts')
PY
{
  echo "target: $TARGET"
  echo "profile: $PROFILE"
  echo "members: ${MEMBERS[*]}"
  echo "rustc: $("$BUILD_RUSTC" --version)"
  echo "cargo: $("$BUILD_CARGO" --version)"
  echo "resolved with: $("$NEW_CARGO" --version)"
  echo "pins: ${MSRV_PINS[*]}"
} > "$OUT_DIR/build-info.txt"
echo "$SRC_HASH" > "$WORK/target/.pyun-src-hash"
log "artifacts in $OUT_DIR"
ls -l "$OUT_DIR" >&2
