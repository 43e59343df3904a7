#!/usr/bin/env bash
# Proves pyun.dll on Windows as far as this Debian machine can: builds it for
# x86_64-pc-windows-gnu with Debian's rustc 1.63 (so this is also the MSRV judge of core/ and
# ffi-c/), checks its exports against include/pyun.h and its imports against Windows' own
# DLLs, compiles the C programs of examples/c/ and tests/c/ with mingw-w64, and runs them
# under wine, pushing from the wine process to a sandbox on 127.0.0.1. See docs/windows.md.
#
#   bash scripts/windows-check.sh          (root on Debian 12; installs what is missing)
#   bash scripts/windows-check.sh --dll PATH/pyun.dll
#       only the checks of a DLL built elsewhere (a release's 32-bit one): its exports equal
#       the header's functions, its imports are Windows' own DLLs
#
# Environment knobs (all optional):
#   PYUN_WINDOWS_WORK_DIR   build cache (kept between runs; default target/msrv/windows)
#   PYUN_WINDOWS_OUT_DIR    where pyun.dll, libpyun.dll.a and the .exe files are left
#                           (default target/msrv/windows-out)
#   PYUN_WINE_TIMEOUT       seconds one program may run under wine (default 300)
#   PYUN_CLI_BIN            a built `pyun` command for the sandbox (default: cargo build -p pyun-cli)
#   PYUN_HOST_MSRV=1        also build core/ and ffi-c/ with rustc 1.63 for the Linux host
#                           (a second cold build of ~6 minutes, so off by default: the Windows
#                           build already compiles all of core/ and ffi-c/ with rustc 1.63)
#   PYUN_MSRV_FRESH_LOCK=1  resolve a new 1.63 lockfile instead of scripts/msrv/Cargo.lock
#
# Ends with "windows-check: N passed, 0 failed"; exits non-zero on any failure.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ONLY_DLL=""
case "${1:-}" in
  "") ;;
  --dll) [ $# -eq 2 ] && [ -f "$2" ] || { echo "usage: $0 [--dll PATH/pyun.dll]" >&2; exit 2; }
         ONLY_DLL=$(cd "$(dirname "$2")" && pwd)/$(basename "$2") ;;
  *) echo "usage: $0 [--dll PATH/pyun.dll]" >&2; exit 2 ;;
esac
cd "$ROOT"

TARGET=x86_64-pc-windows-gnu
WINE=/usr/lib/wine/wine64
WINESERVER=/usr/lib/wine/wineserver
MINGW_GCC=x86_64-w64-mingw32-gcc
MINGW_OBJDUMP=x86_64-w64-mingw32-objdump
WINE_TIMEOUT=${PYUN_WINE_TIMEOUT:-300}
WORK_DIR=${PYUN_WINDOWS_WORK_DIR:-$ROOT/target/msrv/windows}
OUT_DIR=${PYUN_WINDOWS_OUT_DIR:-$ROOT/target/msrv/windows-out}
# The Windows DLLs pyun.dll and the test programs may import: Windows' own, present on a
# stock Windows 7 SP1. No mingw runtime (libgcc_s, libwinpthread), no UCRT, no VC runtime.
SYSTEM_DLLS="kernel32 advapi32 bcrypt ws2_32 userenv msvcrt ntdll user32 secur32 crypt32 shell32 ole32 oleaut32 iphlpapi"
# Functions that exist only from Windows 8 on: importing one means the DLL no longer loads on
# Windows 7 (a deny list, not a proof; rustc 1.63's std looks these up at run time instead).
POST_WIN7_FUNCS="GetSystemTimePreciseAsFileTime CreateFile2 CopyFile2 WaitOnAddress WakeByAddressSingle WakeByAddressAll GetCurrentThreadStackLimits SetThreadDescription GetThreadDescription ProcessPrng GetOverlappedResultEx CreateFileMappingFromApp SetDefaultDllDirectories AddDllDirectory RemoveDllDirectory InitializeSynchronizationBarrier PrefetchVirtualMemory GetProcessMitigationPolicy SetProcessMitigationPolicy"

T0=$(date +%s)
PASSED=0
FAILED=0
FAILURES=()
say() { printf '%s\n' "windows-check: $*"; }
pass() { PASSED=$((PASSED + 1)); say "ok   $*"; }
fail() { FAILED=$((FAILED + 1)); FAILURES+=("$*"); say "FAIL $*"; }
die() { say "error: $*" >&2; exit 1; }
elapsed() { echo "$(($(date +%s) - T0))s"; }

# --- 0. tools ----------------------------------------------------------------------------
need=()
PACKAGES="rustc cargo libstd-rust-dev-windows gcc-mingw-w64-x86-64 wine64 python3 gcc"
[ -z "$ONLY_DLL" ] || PACKAGES="gcc-mingw-w64-x86-64"
for p in $PACKAGES; do
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)" = installed ] || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  say "installing Debian packages: ${need[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  # Others may be running apt at the same moment: wait for the lock instead of failing.
  $SUDO apt-get -q -o DPkg::Lock::Timeout=600 update >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -q -y -o DPkg::Lock::Timeout=600 \
    install --no-install-recommends "${need[@]}" >/dev/null
fi
command -v "$MINGW_GCC" >/dev/null && command -v "$MINGW_OBJDUMP" >/dev/null || die "mingw-w64 missing"
if [ -z "$ONLY_DLL" ]; then
  for f in /usr/bin/rustc /usr/bin/cargo "$WINE" "$WINESERVER"; do [ -x "$f" ] || die "$f missing"; done
  RUSTC_VERSION=$(/usr/bin/rustc --version)
  case "$RUSTC_VERSION" in
    "rustc 1.63."*) ;;
    *) die "expected Debian's rustc 1.63 at /usr/bin/rustc, found: $RUSTC_VERSION" ;;
  esac
  say "tools ready ($RUSTC_VERSION, $($MINGW_GCC --version | head -n1), $("$WINE" --version)) [$(elapsed)]"
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/pyun-windows-check.XXXXXX")
SANDBOX_PID=""
cleanup() {
  if [ -n "$SANDBOX_PID" ]; then kill "$SANDBOX_PID" 2>/dev/null || true; wait "$SANDBOX_PID" 2>/dev/null || true; fi
  # only the wineserver of our own prefix
  if [ -d "$TMP/prefix" ]; then WINEPREFIX="$TMP/prefix" timeout 30 "$WINESERVER" -k 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- a. pyun.dll with rustc 1.63 ------------------------------------------------------------
if [ -n "$ONLY_DLL" ]; then
  DLL=$ONLY_DLL
else
say "building pyun.dll for $TARGET with $RUSTC_VERSION (MSRV judge of core/ and ffi-c/)"
mkdir -p "$WORK_DIR"
rm -rf "$OUT_DIR"
mkdir -p "$OUT_DIR"
LOCK_ARGS=()
if [ "${PYUN_MSRV_FRESH_LOCK:-0}" != 1 ] && [ -f scripts/msrv/Cargo.lock ]; then
  LOCK_ARGS=(MSRV_LOCK="$ROOT/scripts/msrv/Cargo.lock" MSRV_LOCK_FALLBACK=1)
fi
# One build at a time per work dir (vendor-build.sh refreshes everything in it but target/).
if ! (
  flock -w 3600 9 || exit 1
  env MSRV_WORK_DIR="$WORK_DIR" MSRV_NO_APT=1 ${LOCK_ARGS[@]+"${LOCK_ARGS[@]}"} \
    timeout 45m bash scripts/msrv/vendor-build.sh "$ROOT" "$TARGET" "$OUT_DIR"
) 9>"$WORK_DIR.lock"; then
  die "core/ and ffi-c/ do not build for $TARGET with $RUSTC_VERSION (the MSRV): see the errors above"
fi
DLL=$OUT_DIR/pyun.dll
IMPLIB=$OUT_DIR/libpyun.dll.a
[ -f "$DLL" ] && [ -f "$IMPLIB" ] || die "the build left no pyun.dll / libpyun.dll.a in $OUT_DIR"
if [ -f scripts/msrv/Cargo.lock ] && ! cmp -s scripts/msrv/Cargo.lock "$OUT_DIR/Cargo.lock"; then
  say "note: the 1.63 lockfile was re-resolved; if the build is good, keep it with"
  say "      cp $OUT_DIR/Cargo.lock scripts/msrv/Cargo.lock"
fi
pass "pyun.dll built with $RUSTC_VERSION ($(du -h "$DLL" | cut -f1)) [$(elapsed)]"
# Everything below checks and runs the DLL as it ships: stripped (the build keeps line tables).
BIN=$OUT_DIR/bin
mkdir -p "$BIN"
x86_64-w64-mingw32-strip -o "$BIN/pyun.dll" "$DLL"
DLL=$BIN/pyun.dll
say "stripped: $DLL ($(du -h "$DLL" | cut -f1)); unstripped: $OUT_DIR/pyun.dll"
fi

# --- b. exports and imports ------------------------------------------------------------------
"$MINGW_OBJDUMP" -p "$DLL" > "$TMP/dll.objdump"
if grep -q 'file format pei-x86-64' "$TMP/dll.objdump"; then
  pass "$(basename "$DLL") is a PE32+ x86-64 image"
elif [ -n "$ONLY_DLL" ] && grep -q 'file format pei-i386' "$TMP/dll.objdump"; then
  pass "$(basename "$DLL") is a PE32 i386 image"
else
  fail "$(basename "$DLL") is not a pei-x86-64 image"
fi

# The header's functions, as the Windows C compiler sees them (after the preprocessor).
printf '#include "pyun.h"\n' > "$TMP/header.c"
"$MINGW_GCC" -std=c99 -fsyntax-only -aux-info "$TMP/header.aux" -I"$ROOT/include" "$TMP/header.c"
grep -F "/include/pyun.h:" "$TMP/header.aux" \
  | sed -E 's#^/\*[^*]*\*/ *##; s/ *\(.*//; s/.*[^A-Za-z0-9_]//' | sort -u > "$TMP/header.funcs"
# The DLL's exported names.
sed -n '/^\[Ordinal\/Name Pointer\] Table/,/^$/p' "$TMP/dll.objdump" \
  | sed -n 's/^[[:space:]]*\[ *[0-9]*\] //p' | sort -u > "$TMP/dll.exports"
n_header=$(wc -l < "$TMP/header.funcs")
n_exports=$(wc -l < "$TMP/dll.exports")
missing=$(comm -23 "$TMP/header.funcs" "$TMP/dll.exports")
extra=$(comm -13 "$TMP/header.funcs" "$TMP/dll.exports")
if [ "$n_header" -gt 0 ] && [ -z "$missing" ] && [ -z "$extra" ]; then
  pass "exports = header functions ($n_exports)"
else
  [ "$n_header" -gt 0 ] || fail "no function found in include/pyun.h"
  [ -z "$missing" ] || fail "declared in include/pyun.h but not exported by pyun.dll: $(echo $missing)"
  [ -z "$extra" ] || fail "exported by pyun.dll but not declared in include/pyun.h: $(echo $extra)"
fi

# "DLL:function" for every import of a PE file.
imports() {
  "$MINGW_OBJDUMP" -p "$1" | awk '
    /^[[:space:]]*DLL Name:/ { dll = $3; next }
    /^[[:space:]]*vma:/ { next }
    dll != "" && /^\t[0-9a-f]+\t/ { print dll ":" $NF; next }
    /^$/ { }'
}
check_imports() { # FILE ALLOWED_EXTRA_DLL...
  local file=$1 name; shift
  local allowed=" $SYSTEM_DLLS $* "
  imports "$file" > "$TMP/imports"
  local dlls bad=() late=()
  dlls=$(cut -d: -f1 "$TMP/imports" | sort -uf)
  for d in $dlls; do
    name=$(echo "${d%.[dD][lL][lL]}" | tr 'A-Z' 'a-z')
    case "$allowed" in *" $name "*) ;; *) bad+=("$d") ;; esac
  done
  for f in $POST_WIN7_FUNCS; do
    if grep -q ":$f\$" "$TMP/imports"; then late+=("$f"); fi
  done
  if [ -z "$dlls" ]; then
    fail "$(basename "$file"): no import table found"
  elif [ ${#bad[@]} -eq 0 ] && [ ${#late[@]} -eq 0 ]; then
    pass "$(basename "$file") imports only system DLLs: $(echo $dlls)"
  else
    [ ${#bad[@]} -eq 0 ] || fail "$(basename "$file") imports non-system DLLs: ${bad[*]}"
    [ ${#late[@]} -eq 0 ] || fail "$(basename "$file") imports functions Windows 7 lacks: ${late[*]}"
  fi
}
check_imports "$DLL"
if [ -n "$ONLY_DLL" ]; then
  echo "windows-check: $PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
  exit
fi

# --- c. the C programs, compiled with mingw-w64 ----------------------------------------------
CFLAGS=(-std=c99 -Wall -Wextra -Werror -O2 -g -I"$ROOT/include")
shopt -s nullglob
SOURCES=(examples/c/*.c tests/c/*.c)
shopt -u nullglob
[ ${#SOURCES[@]} -gt 0 ] || fail "no C program in examples/c/ or tests/c/"
PROGRAMS=()
for src in "${SOURCES[@]}"; do
  exe=$BIN/$(basename "$src" .c).exe
  # linked against the import library: the program loads pyun.dll at start, as a user's would
  if "$MINGW_GCC" "${CFLAGS[@]}" -I"$(dirname "$src")" -o "$exe" "$src" "$IMPLIB" 2> "$TMP/cc.log"; then
    if imports "$exe" | grep -qi '^pyun\.dll:'; then
      pass "compiled $src"
      PROGRAMS+=("$exe")
      check_imports "$exe" pyun
    else
      fail "$src: the .exe does not import pyun.dll"
    fi
  else
    fail "$src does not compile with $MINGW_GCC: $(head -c 4000 "$TMP/cc.log")"
  fi
done

# A loader of our own: LoadLibrary + GetProcAddress of every header function, as .NET's
# DllImport, Delphi's external and VB6's Declare do, and pyun_version() through the pointer.
{
  echo '#include <stdio.h>'
  echo '#include <string.h>'
  echo '#include <windows.h>'
  echo '#include "pyun.h"'
  echo 'static const char *const NAMES[] = {'
  sed 's/.*/    "&",/' "$TMP/header.funcs"
  echo '};'
  cat <<'EOF'
int main(void) {
    HMODULE dll = LoadLibraryW(L"pyun.dll");
    size_t i, missing = 0;
    const char *(*version)(void);
    if (dll == NULL) {
        printf("LoadLibraryW(pyun.dll) failed: error %lu\n", (unsigned long)GetLastError());
        return 1;
    }
    for (i = 0; i < sizeof NAMES / sizeof NAMES[0]; i++) {
        if (GetProcAddress(dll, NAMES[i]) == NULL) {
            printf("GetProcAddress(%s) failed\n", NAMES[i]);
            missing++;
        }
    }
    version = (const char *(*)(void))(void (*)(void))GetProcAddress(dll, "pyun_version");
    if (version == NULL || strcmp(version(), PYUN_VERSION_STRING) != 0) {
        printf("pyun_version() is not the header's " PYUN_VERSION_STRING "\n");
        return 1;
    }
    printf("loaded pyun.dll %s; %u functions resolved\n", version(),
           (unsigned)(sizeof NAMES / sizeof NAMES[0] - missing));
    FreeLibrary(dll);
    return missing == 0 ? 0 : 1;
}
EOF
} > "$TMP/loader.c"
"$MINGW_GCC" "${CFLAGS[@]}" -Wno-cast-function-type -o "$BIN/pyun-loader.exe" "$TMP/loader.c" 2> "$TMP/cc.log" \
  || fail "the loader does not compile: $(cat "$TMP/cc.log")"

# --- d. under wine ----------------------------------------------------------------------------
export WINEPREFIX="$TMP/prefix" WINEDEBUG=-all WINEARCH=win64 WINEDLLOVERRIDES="mscoree,mshtml="
unset DISPLAY WAYLAND_DISPLAY
say "creating a wine prefix [$(elapsed)]"
timeout 300 "$WINE" wineboot --init > "$TMP/wineboot.log" 2>&1 || { cat "$TMP/wineboot.log"; die "wineboot failed"; }
# Windows paths of the files the programs read and write (wine maps / to Z:).
winpath() { printf 'Z:%s' "$1" | tr / '\\'; }
mkdir -p "$TMP/work"
SECRET="pyun-wine-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"

if [ -n "${PYUN_CLI_BIN:-}" ]; then
  PYUN_BIN=$PYUN_CLI_BIN
else
  say "building the sandbox (pyun-cli) [$(elapsed)]"
  cargo build -q --release -p pyun-cli
  PYUN_BIN=$ROOT/target/release/pyun
fi
# --port 0: the sandbox picks a free port and prints its URL on the first line.
PYUN_APP_SECRET=$SECRET "$PYUN_BIN" sandbox --port 0 > "$TMP/sandbox.out" 2> "$TMP/sandbox.err" &
SANDBOX_PID=$!
URL=""
for _ in $(seq 1 300); do
  URL=$(sed -n 's/^pyun sandbox listening on \(http:\/\/127\.0\.0\.1:[0-9]*\).*/\1/p' "$TMP/sandbox.out")
  [ -n "$URL" ] && break
  kill -0 "$SANDBOX_PID" 2>/dev/null || break
  sleep 0.1
done
[ -n "$URL" ] || { cat "$TMP/sandbox.out" "$TMP/sandbox.err"; die "the sandbox did not start"; }
http_get() { python3 -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())' "$1"; }
for _ in $(seq 1 100); do
  [ "$(http_get "$URL/_sandbox/health" 2>/dev/null)" = ok ] && break
  sleep 0.1
done
[ "$(http_get "$URL/_sandbox/health" 2>/dev/null)" = ok ] || die "the sandbox at $URL does not answer"
say "sandbox answering at $URL [$(elapsed)]"

# Every program gets its inputs from the environment (see each program's usage).
export PYUN_APP_SECRET=$SECRET PYUN_BASE_URL=$URL PYUN_SANDBOX_URL=$URL \
  PYUN_DATA_DIR="$(winpath "$ROOT/examples/data")" PYUN_WORK_DIR="$(winpath "$TMP/work")"

# run_wine LABEL EXE [ARGS...]: runs it from its own directory, output in $TMP/LABEL.out
run_wine() {
  local label=$1 exe=$2 rc=0 t; shift 2
  t=$(date +%s)
  (cd "$(dirname "$exe")" && timeout -k 10 "$WINE_TIMEOUT" "$WINE" "$exe" "$@") > "$TMP/$label.out" 2>&1 || rc=$?
  tr -d '\r' < "$TMP/$label.out" > "$TMP/$label.txt"
  sed 's/^/    | /' "$TMP/$label.txt" | head -n 200
  [ "$rc" != 124 ] && [ "$rc" != 137 ] || say "$label: timed out after ${WINE_TIMEOUT}s"
  say "$label: exit $rc in $(($(date +%s) - t))s"
  return "$rc"
}

if run_wine loader "$BIN/pyun-loader.exe"; then
  pass "pyun-loader.exe: LoadLibrary + GetProcAddress of all $n_header functions under wine"
else
  fail "pyun-loader.exe under wine"
fi

for exe in "${PROGRAMS[@]}"; do
  name=$(basename "$exe" .exe)
  if [ "$name" = push ]; then
    # Only push.c's records in the sandbox when it is checked below.
    python3 -c 'import sys, urllib.request; urllib.request.urlopen(urllib.request.Request(sys.argv[1], data=b"", method="POST"), timeout=10).read()' "$URL/_sandbox/reset"
  fi
  if run_wine "$name" "$exe"; then
    pass "$name.exe ran under wine"
  else
    fail "$name.exe under wine"
    continue
  fi
  out=$TMP/$name.txt
  case "$name" in
    sign)
      # page 001's enter test vector with the secret 123, and a file of our own signed by
      # the Linux CLI: the same sign and canonical string from both builds.
      if PYUN_APP_SECRET=123 run_wine sign-vector "$exe" \
         && grep -q 'F58EDB51E299C99BE0E24D84739994CA' "$TMP/sign-vector.txt"; then
        pass "sign.exe gives page 001's sign F58EDB51E299C99BE0E24D84739994CA"
      else
        fail "sign.exe does not give page 001's sign F58EDB51E299C99BE0E24D84739994CA"
      fi
      printf '{"plate":"粤B12345","parking_serial":"W-%s","car_desc":"临停","enter_gate":"","total_value":"1000"}' \
        "$(date +%s)" > "$TMP/work/fields.json"
      want_sign=$("$PYUN_BIN" sign "$TMP/work/fields.json")
      want_canon=$("$PYUN_BIN" sign --canonical "$TMP/work/fields.json")
      if run_wine sign-file "$exe" "$(winpath "$TMP/work/fields.json")" \
         && grep -qx "sign: $want_sign" "$TMP/sign-file.txt" \
         && grep -qxF "canonical: $want_canon" "$TMP/sign-file.txt"; then
        pass "sign.exe under wine and the Linux CLI agree on a sign ($want_sign) and canonical string"
      else
        fail "sign.exe and the Linux CLI disagree: CLI sign $want_sign, canonical $want_canon"
      fi
      ;;
    verify)
      # the push signed in the wine process verifies with the Linux CLI
      grep -o '{.*"sign":.*}' "$out" | head -n1 > "$TMP/work/push.json" || true
      if [ -s "$TMP/work/push.json" ] && "$PYUN_BIN" verify "$TMP/work/push.json" > /dev/null; then
        pass "the push signed by verify.exe under wine verifies with the Linux CLI"
      else
        fail "the push signed by verify.exe under wine does not verify with the Linux CLI"
      fi
      ;;
    push)
      # what the sandbox received from the wine process: both records, with their photos
      http_get "$URL/_sandbox/records" > "$TMP/records.json"
      if python3 - "$TMP/records.json" "$ROOT/examples/data" <<'PY'
import hashlib, json, sys
records, data = json.load(open(sys.argv[1], encoding="utf-8")), sys.argv[2]
def md5(name): return hashlib.md5(open(f"{data}/{name}", "rb").read()).hexdigest().upper()
want = {"enter": ("enter_image_file", md5("enter.gif")), "leave": ("leave_image_file", md5("leave.bmp"))}
serial = json.load(open(f"{data}/enter.json", encoding="utf-8"))["parking_serial"]
plate = json.load(open(f"{data}/enter.json", encoding="utf-8"))["plate"]
bad = []
for endpoint, (field, digest) in want.items():
    got = [r for r in records if r.get("endpoint") == endpoint and r.get("key") == serial]
    if len(got) != 1:
        bad.append(f"{len(got)} {endpoint} records for {serial}")
        continue
    r = got[0]
    if r.get("files", {}).get(field, {}).get("md5") != digest:
        bad.append(f"{endpoint}: photo {field} is {r.get('files')}, want md5 {digest}")
    if r.get("decoded", {}).get("plate") != plate:
        bad.append(f"{endpoint}: plate {r.get('decoded', {}).get('plate')!r}, want {plate!r}")
if bad:
    sys.exit("; ".join(bad))
print(f"sandbox received enter and leave of {serial} ({plate}) with photo hashes {want['enter'][1]}, {want['leave'][1]}")
PY
      then
        pass "push.exe under wine reached the sandbox on 127.0.0.1: enter + leave with photos"
      else
        fail "the sandbox did not receive push.exe's records as sent"
      fi
      ;;
  esac
  # a test program's own summary line, when it prints one, must count no failure
  summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -n1 || true)
  if [ -n "$summary" ]; then
    case "$summary" in
      *" 0 failed"*) pass "$name.exe: $summary" ;;
      *) fail "$name.exe: $summary" ;;
    esac
  fi
done

# --- e. the host MSRV build (optional) ---------------------------------------------------------
if [ "${PYUN_HOST_MSRV:-0}" = 1 ]; then
  say "building core/ and ffi-c/ for the host with $RUSTC_VERSION [$(elapsed)]"
  HOST_WORK=${PYUN_WINDOWS_WORK_DIR:-$ROOT/target/msrv/windows}-host
  mkdir -p "$HOST_WORK"
  if (
    flock -w 3600 9 || exit 1
    env MSRV_WORK_DIR="$HOST_WORK" MSRV_NO_APT=1 ${LOCK_ARGS[@]+"${LOCK_ARGS[@]}"} \
      timeout 45m bash scripts/msrv/vendor-build.sh "$ROOT" x86_64-unknown-linux-gnu "$TMP/host-out"
  ) 9>"$HOST_WORK.lock"; then
    pass "core/ and ffi-c/ build for x86_64-unknown-linux-gnu with $RUSTC_VERSION"
  else
    fail "core/ and ffi-c/ do not build for the host with $RUSTC_VERSION"
  fi
fi

say "pyun.dll and the .exe files are in $OUT_DIR (total $(elapsed))"
if [ "$FAILED" -gt 0 ]; then
  say "failures:"
  for f in "${FAILURES[@]}"; do say "  - $f"; done
fi
echo "windows-check: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
