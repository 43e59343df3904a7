#!/usr/bin/env bash
# Builds pyun.dll for Windows 7 and newer, 32-bit (x86) and 64-bit (x64), and proves it as far
# as this Debian machine can. For each architecture:
#   - builds it with Debian's current Rust (rustc-web, from bookworm-security, unpacked into a
#     private prefix so the system toolchain stays untouched) for the `*-win7-windows-gnu`
#     target, whose std keeps Windows 7 support, with -Zbuild-std; strips it
#   - exports = the functions of include/pyun.h; imports = Windows' own DLLs, no Windows 8+
#     function; the version resource read back through GetFileVersionInfo under wine
#   - import libraries: MinGW's libpyun.dll.a and an MSVC-style pyun.lib (dlltool, from
#     pyun.def), each linked into a loader program that must run
#   - examples/c and tests/c compiled with -Werror and run under wine (x64: 64-bit wine;
#     x86: a 32-bit wine prefix) against a sandbox on 127.0.0.1; among them test_callbacks.c,
#     the callback rules and a stress host (PYUN_CALLBACK_SECONDS, default 10 here)
#   - x86 only: pyun_vb6.dll, the stdcall layer for VB6 (bindings-vb6/pyun_vb6.c, which includes
#     the wrappers generated into pyun_vb6.g.c; docs/vb6.md, docs/kits.md): its
#     exports against bindings-vb6/Pyun.bas (names, and argument bytes against a build without
#     --kill-at), and bindings-vb6/test_vb6.c calling every wrapper through stdcall pointers
#     under 32-bit wine with GBK input, the stack checked after each call
#   - bindings-delphi/Pyun.pas: its tests built for win32 / win64 with Free Pascal (units, and
#     the i386 cross compiler, built from Debian's fpc-source) and run under wine against the
#     sandbox and a faulty one (bindings-delphi/tests/windows.sh)
#   - the panic boundary: a test build whose export panics, in a host that already loaded
#     MinGW's libgcc_s, must return PYUN_RESULT_PANIC (on i686 this needs rsbegin.o, below)
#   - pyun.exe (cli/), same toolchain and target directory, imports checked as the DLL's, run
#     under wine by scripts/windows/cli.sh: demo; its sandbox reached from Linux; a GBK record
#     with a photo at a C:\ path pushed to a Linux sandbox; listen with a .cmd handler receiving
#     the Linux send-push in three encodings (and ending an overrunning handler's processes);
#     outbox enqueue + drain --follow through a faulty sandbox; stopped by Ctrl+C; and
#     `pyun.exe service` (scripts/windows/service.sh): listen installed as a service of wine's
#     services.exe, started at "boot", receiving the Linux send-push, stopped mid-handler,
#     a failing start, uninstalled; `pyun.exe console` (scripts/windows/console.sh) by hand and
#     as a service, reached from Linux: token, counts, a same-origin action, a cross-origin one
#     refused; the service's token from its env file, never in its log
#   - x86: pyun_vb6.dll's version resource; both: samples/delphi/PyunLotSample.dpr built by Free
#     Pascal and run under wine against the sandbox
# then packs target/pyun-<version>-windows.zip (see docs/windows.md) and checks its contents
# (layout, hashes, versions; samples/csharp/PyunLotSample.csproj built by xbuild from it), and
# the Pyun.Net NuGet package target/Pyun.Net.<version>.nupkg (scripts/dotnet-pack.sh).
#
#   bash scripts/windows.sh                 (root on Debian 12; installs what is missing)
#   PYUN_WINDOWS_ARCHES="x86"               one architecture only
#   PYUN_WINE_TIMEOUT=300                   seconds one program may run under wine
#   PYUN_CLI_BIN=target/release/pyun        a built `pyun` for the sandbox (default: build it)
#
# The MSRV of core/ and ffi-c/ is "what Debian's rustc-web builds": this build is its judge.
# Ends with "windows: N passed, 0 failed"; exits non-zero on any failure.
set -euo pipefail
# The CLI's output is read in English (PYUN_LANG; wine passes it on to pyun.exe).
export PYUN_LANG=en
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
ARCHES=${PYUN_WINDOWS_ARCHES:-x64 x86}
WINE_TIMEOUT=${PYUN_WINE_TIMEOUT:-300}
WORK=$ROOT/target/windows
MIN_RUST_MINOR=96
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
# Windows' own DLLs, present on a stock Windows 7 SP1: no MinGW runtime, UCRT or VC runtime.
SYSTEM_DLLS="kernel32 advapi32 bcrypt ws2_32 userenv msvcrt ntdll user32 secur32 crypt32 shell32 ole32 oleaut32 iphlpapi version"
# Functions that exist only from Windows 8 on: importing one means the DLL does not load on
# Windows 7 (a deny list, not a proof; std looks such functions up at run time instead).
POST_WIN7_FUNCS="GetSystemTimePreciseAsFileTime CreateFile2 CopyFile2 WaitOnAddress WakeByAddressSingle WakeByAddressAll GetCurrentThreadStackLimits SetThreadDescription GetThreadDescription ProcessPrng GetOverlappedResultEx CreateFileMappingFromApp SetDefaultDllDirectories AddDllDirectory RemoveDllDirectory InitializeSynchronizationBarrier PrefetchVirtualMemory GetProcessMitigationPolicy SetProcessMitigationPolicy"

T0=$(date +%s)
PASSED=0
FAILED=0
FAILURES=()
say() { printf '%s\n' "windows: $*"; }
pass() { PASSED=$((PASSED + 1)); say "ok   $*"; }
fail() { FAILED=$((FAILED + 1)); FAILURES+=("$*"); say "FAIL $*"; }
die() { say "error: $*" >&2; exit 1; }
elapsed() { echo "$(($(date +%s) - T0))s"; }
arch_target() { case $1 in x64) echo x86_64-win7-windows-gnu ;; x86) echo i686-win7-windows-gnu ;; esac; }
arch_mingw() { case $1 in x64) echo x86_64-w64-mingw32 ;; x86) echo i686-w64-mingw32 ;; esac; }
for a in $ARCHES; do [ -n "$(arch_target "$a")" ] || die "unknown architecture $a (x86, x64)"; done

# --- 0. Debian packages -------------------------------------------------------------------------
apt_install() {
  DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=600 \
    install --no-install-recommends "$@" >/dev/null
}
need=()
PACKAGES="gcc-mingw-w64-x86-64 gcc-mingw-w64-i686 binutils-mingw-w64-x86-64 binutils-mingw-w64-i686 wine64 wine32:i386 libgit2-1.5 libssh2-1 libcurl4 python3 gcc zip unzip fpc fpc-source-3.2.2 mono-mcs mono-runtime mono-xbuild mono-devel libmono-system-windows-forms4.0-cil"
# installed ARCH PACKAGE: whether dpkg has PACKAGE installed for ARCH, or as an
# architecture-independent one ("all": fpc, fpc-source-*), which `name:amd64` never matches.
installed() {
  dpkg-query -W -f='${db:Status-Status} ${Architecture}\n' "$2" 2>/dev/null \
    | grep -qE "^installed ($1|all)\$"
}
for p in $PACKAGES; do
  case $p in
    *:*) installed "${p##*:}" "${p%%:*}" || need+=("$p") ;;
    *) installed "$(dpkg --print-architecture)" "$p" || need+=("$p") ;;
  esac
done
if [ ${#need[@]} -gt 0 ]; then
  say "installing Debian packages: ${need[*]}"
  # 32-bit wine needs the i386 architecture
  dpkg --print-foreign-architectures | grep -qx i386 || dpkg --add-architecture i386
  apt-get -q -o DPkg::Lock::Timeout=600 update >/dev/null
  apt_install "${need[@]}"
fi
WINE64=/usr/lib/wine/wine64
WINE32=/usr/lib/wine/wine
WINESERVER=/usr/lib/wine/wineserver
for f in "$WINE64" "$WINE32" "$WINESERVER"; do [ -x "$f" ] || die "$f missing"; done

# --- 1. Debian's current Rust in a private prefix -----------------------------------------------
# rustc-web / cargo-web conflict with Debian's rustc / cargo packages: unpacking them into a
# prefix of our own keeps whatever the machine has. Old versions leave the security archive
# when a new one arrives, so take the version apt offers and check it is new enough.
[ -n "$(apt-cache policy rustc-web 2>/dev/null | sed -n 's/^ *Candidate: //p')" ] \
  || apt-get -q -o DPkg::Lock::Timeout=600 update >/dev/null
RUST_DEB=$(apt-cache policy rustc-web | sed -n 's/^ *Candidate: //p')
[ -n "$RUST_DEB" ] && [ "$RUST_DEB" != "(none)" ] || die "apt offers no rustc-web (is bookworm-security in the sources?)"
RUST_MINOR=$(echo "$RUST_DEB" | sed -n 's/^1\.\([0-9]*\)\..*/\1/p')
[ -n "$RUST_MINOR" ] && [ "$RUST_MINOR" -ge "$MIN_RUST_MINOR" ] \
  || die "rustc-web $RUST_DEB is older than 1.$MIN_RUST_MINOR (the first with both win7 targets and this lockfile)"
PREFIX=$WORK/toolchain/$RUST_DEB
if [ ! -f "$PREFIX/.complete" ]; then
  say "unpacking rustc-web $RUST_DEB into $PREFIX"
  rm -rf "$PREFIX" && mkdir -p "$PREFIX/debs"
  STD_PKG=$(apt-cache show "libstd-rust-web-dev=$RUST_DEB" | sed -n 's/^Depends: .*\(libstd-rust-web-1\.[0-9]*\).*/\1/p' | head -n1)
  LLVM_PKG=$(apt-cache show "$STD_PKG=$RUST_DEB" | sed -n 's/^Depends: .*\(libllvm[0-9]*\).*/\1/p' | head -n1)
  [ -n "$STD_PKG" ] && [ -n "$LLVM_PKG" ] || die "cannot tell the std / LLVM packages of rustc-web $RUST_DEB"
  (cd "$PREFIX/debs" && apt-get -q -o APT::Sandbox::User=root download "rustc-web=$RUST_DEB" "cargo-web=$RUST_DEB" \
     "rust-web-src=$RUST_DEB" "libstd-rust-web-dev=$RUST_DEB" "$STD_PKG=$RUST_DEB" "$LLVM_PKG" >/dev/null)
  for deb in "$PREFIX"/debs/*.deb; do dpkg-deb -x "$deb" "$PREFIX"; done
  (cd "$PREFIX/debs" && ls) > "$PREFIX/packages.txt"
  rm -rf "$PREFIX/debs"
  touch "$PREFIX/.complete"
fi
export LD_LIBRARY_PATH="$PREFIX/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
RUSTC=$PREFIX/usr/bin/rustc
CARGO=$PREFIX/usr/bin/cargo
RUSTC_VERSION=$("$RUSTC" --version)
CARGO_VERSION=$("$CARGO" --version)
TARGETS=$("$RUSTC" --print target-list)
for a in $ARCHES; do
  echo "$TARGETS" | grep -qx "$(arch_target "$a")" || die "$RUSTC_VERSION has no target $(arch_target "$a")"
done
SYSROOT=$("$RUSTC" --print sysroot)
[ -f "$SYSROOT/lib/rustlib/src/rust/library/rtstartup/rsbegin.rs" ] || die "no std sources under $SYSROOT"
say "tools: $RUSTC_VERSION, $CARGO_VERSION, $(x86_64-w64-mingw32-gcc --version | head -n1), $("$WINE64" --version) [$(elapsed)]"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/pyun-windows.XXXXXX")
# shellcheck source=scripts/sandbox.sh
. "$ROOT/scripts/sandbox.sh"
# shellcheck source=scripts/wine-server.sh
. "$ROOT/scripts/wine-server.sh"
cleanup() {
  declare -F cli_cleanup > /dev/null && cli_cleanup
  stop_sandboxes
  for p in "$TMP"/prefix-*; do
    [ -d "$p" ] && wine_server_stop "$WINESERVER" "$p"
  done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- 2. build ----------------------------------------------------------------------------------
# cargo_windows ARCH TARGET_DIR [CARGO ARGS...]
cargo_windows() {
  local arch=$1 dir=$2 target mingw env_target flags=""; shift 2
  target=$(arch_target "$arch"); mingw=$(arch_mingw "$arch")
  env_target=$(echo "$target" | tr 'a-z-' 'A-Z_')
  if [ "$arch" = x86 ]; then
    # The i686 win7 target spec links no rsbegin.o: the DLL's DWARF unwind tables would then
    # be registered only through gcc's crtbegin.o, which hands them to libgcc_s_dw2-1.dll
    # whenever the host already loaded it, and a panic inside pyun aborts the host. rustc's
    # own rsbegin.o, first on the link line, registers them with pyun's own unwinder.
    mkdir -p "$dir/rtstartup"
    RUSTC_BOOTSTRAP=1 "$RUSTC" --target "$target" --emit=obj -C panic=abort -C opt-level=2 \
      -o "$dir/rtstartup/rsbegin.o" "$SYSROOT/lib/rustlib/src/rust/library/rtstartup/rsbegin.rs"
    flags="-Zpre-link-arg=$dir/rtstartup/rsbegin.o"
  fi
  env -u RUSTFLAGS -u CARGO_BUILD_TARGET -u RUSTC_WRAPPER \
    RUSTC="$RUSTC" RUSTDOC="$PREFIX/usr/bin/rustdoc" RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="$dir" \
    "CARGO_TARGET_${env_target}_LINKER=$mingw-gcc" "CARGO_TARGET_${env_target}_RUSTFLAGS=$flags" \
    "CC_${target//-/_}=$mingw-gcc" "AR_${target//-/_}=$mingw-ar" CROSS_COMPILE="$mingw-" \
    "$CARGO" build --release --locked -p "${PYUN_PACKAGE:-pyun-ffi}" --target "$target" \
    -Zbuild-std=std,panic_unwind "$@"
}

STAGE=$WORK/stage/pyun-$VERSION-windows
rm -rf "$WORK/stage" && mkdir -p "$STAGE"
for arch in $ARCHES; do
  target=$(arch_target "$arch"); mingw=$(arch_mingw "$arch")
  say "[$arch] building pyun.dll for $target [$(elapsed)]"
  if ! cargo_windows "$arch" "$WORK/build" 2> "$TMP/build-$arch.log"; then
    tail -n 60 "$TMP/build-$arch.log"
    die "[$arch] core/ and ffi-c/ do not build for $target with $RUSTC_VERSION: see above"
  fi
  if grep -q '^warning' "$TMP/build-$arch.log"; then
    fail "[$arch] the build warns: $(grep -A3 '^warning' "$TMP/build-$arch.log" | head -c 2000)"
  fi
  out=$WORK/build/$target/release
  mkdir -p "$STAGE/$arch"
  "$mingw-strip" -o "$STAGE/$arch/pyun.dll" "$out/pyun.dll"
  cp "$out/libpyun.dll.a" "$STAGE/$arch/libpyun.dll.a"
  pass "[$arch] pyun.dll built: $(du -h "$STAGE/$arch/pyun.dll" | cut -f1) stripped [$(elapsed)]"

  say "[$arch] building the test-panic DLL [$(elapsed)]"
  if cargo_windows "$arch" "$WORK/build" --features test-panic 2> "$TMP/build-panic-$arch.log"; then
    mkdir -p "$WORK/test-panic/$arch"
    cp "$WORK/build/$target/release/pyun.dll" "$WORK/test-panic/$arch/pyun.dll"
  else
    tail -n 30 "$TMP/build-panic-$arch.log"
    fail "[$arch] the test-panic DLL does not build"
  fi

  # pyun.exe, the CLI (cli/), with the same toolchain and target directory (proven in 5.)
  say "[$arch] building pyun.exe [$(elapsed)]"
  if PYUN_PACKAGE=pyun-cli cargo_windows "$arch" "$WORK/build" 2> "$TMP/build-cli-$arch.log"; then
    ! grep -q '^warning' "$TMP/build-cli-$arch.log" \
      || fail "[$arch] the pyun.exe build warns: $(grep -A3 '^warning' "$TMP/build-cli-$arch.log" | head -c 2000)"
    "$mingw-strip" -o "$STAGE/$arch/pyun.exe" "$WORK/build/$target/release/pyun.exe"
    pass "[$arch] pyun.exe built: $(du -h "$STAGE/$arch/pyun.exe" | cut -f1) stripped [$(elapsed)]"
  else
    tail -n 60 "$TMP/build-cli-$arch.log"
    fail "[$arch] cli/ (pyun.exe) does not build for $target with $RUSTC_VERSION"
  fi
done

# --- 3. exports, imports, import libraries ----------------------------------------------------------
# The header's functions, as the Windows C compiler sees them (after the preprocessor).
printf '#include "pyun.h"\n' > "$TMP/header.c"
x86_64-w64-mingw32-gcc -std=c99 -fsyntax-only -aux-info "$TMP/header.aux" -I"$ROOT/include" "$TMP/header.c"
grep -F "/include/pyun.h:" "$TMP/header.aux" \
  | sed -E 's#^/\*[^*]*\*/ *##; s/ *\(.*//; s/.*[^A-Za-z0-9_]//' | sort -u > "$TMP/header.funcs"
N_HEADER=$(wc -l < "$TMP/header.funcs")
[ "$N_HEADER" -gt 0 ] || die "no function found in include/pyun.h"
{ echo "LIBRARY pyun.dll"; echo "EXPORTS"; sed 's/^/    /' "$TMP/header.funcs"; } > "$TMP/pyun.def"

# "DLL:function" for every import of a PE file.
imports() {
  "$1-objdump" -p "$2" | awk '
    /^[[:space:]]*DLL Name:/ { dll = $3; next }
    /^[[:space:]]*vma:/ { next }
    dll != "" && /^\t[0-9a-f]+\t/ { print dll ":" $NF; next }'
}
check_imports() { # ARCH MINGW FILE ALLOWED_EXTRA_DLL...
  local arch=$1 mingw=$2 file=$3 name dlls; shift 3
  local allowed=" $SYSTEM_DLLS $* " bad=() late=()
  imports "$mingw" "$file" > "$TMP/imports"
  dlls=$(cut -d: -f1 "$TMP/imports" | sort -uf)
  for d in $dlls; do
    name=$(echo "${d%.[dD][lL][lL]}" | tr 'A-Z' 'a-z')
    case "$allowed" in *" $name "*) ;; *) bad+=("$d") ;; esac
  done
  for f in $POST_WIN7_FUNCS; do grep -q ":$f\$" "$TMP/imports" && late+=("$f"); done
  if [ -z "$dlls" ]; then
    fail "[$arch] $(basename "$file"): no import table found"
  elif [ ${#bad[@]} -eq 0 ] && [ ${#late[@]} -eq 0 ]; then
    pass "[$arch] $(basename "$file") imports only system DLLs: $(echo $dlls)"
  else
    [ ${#bad[@]} -eq 0 ] || fail "[$arch] $(basename "$file") imports non-system DLLs: ${bad[*]}"
    [ ${#late[@]} -eq 0 ] || fail "[$arch] $(basename "$file") imports functions Windows 7 lacks: ${late[*]}"
  fi
}

for arch in $ARCHES; do
  mingw=$(arch_mingw "$arch"); dll=$STAGE/$arch/pyun.dll
  "$mingw-objdump" -p "$dll" > "$TMP/dll-$arch.objdump"
  want_format=$([ "$arch" = x64 ] && echo pei-x86-64 || echo pei-i386)
  if grep -q "file format $want_format" "$TMP/dll-$arch.objdump"; then
    pass "[$arch] pyun.dll is a $want_format image"
  else
    fail "[$arch] pyun.dll is not a $want_format image"
  fi
  sed -n '/^\[Ordinal\/Name Pointer\] Table/,/^$/p' "$TMP/dll-$arch.objdump" \
    | sed -n 's/^[[:space:]]*\[ *[0-9]*\] //p' | sort -u > "$TMP/dll-$arch.exports"
  missing=$(comm -23 "$TMP/header.funcs" "$TMP/dll-$arch.exports")
  extra=$(comm -13 "$TMP/header.funcs" "$TMP/dll-$arch.exports")
  if [ -z "$missing" ] && [ -z "$extra" ]; then
    pass "[$arch] exports = the $N_HEADER functions of include/pyun.h"
  else
    [ -z "$missing" ] || fail "[$arch] in include/pyun.h but not exported: $(echo $missing)"
    [ -z "$extra" ] || fail "[$arch] exported but not in include/pyun.h: $(echo $extra)"
  fi
  check_imports "$arch" "$mingw" "$dll"
  echo "$arch: $(cut -d: -f1 "$TMP/imports" | sort -uf | tr '\n' ' ')" >> "$TMP/imports-summary"
  if [ -s "$STAGE/$arch/pyun.exe" ]; then
    if "$mingw-objdump" -f "$STAGE/$arch/pyun.exe" | grep -q "file format $want_format"; then
      pass "[$arch] pyun.exe is a $want_format image"
    else
      fail "[$arch] pyun.exe is not a $want_format image"
    fi
    check_imports "$arch" "$mingw" "$STAGE/$arch/pyun.exe"
    echo "$arch pyun.exe: $(cut -d: -f1 "$TMP/imports" | sort -uf | tr '\n' ' ')" >> "$TMP/imports-summary"
  fi

  # pyun.def and an import library for MSVC's linker. x86: MSVC decorates cdecl names with a
  # leading underscore (_pyun_sign), while the DLL exports them undecorated; dlltool for i386
  # gives the library's symbols that underscore and keeps the imported names as the .def has
  # them (its -U would put the underscore on the imported names too: they would not resolve).
  cp "$TMP/pyun.def" "$STAGE/$arch/pyun.def"
  machine=$([ "$arch" = x64 ] && echo i386:x86-64 || echo i386)
  "$mingw-dlltool" -m "$machine" -d "$STAGE/$arch/pyun.def" -D pyun.dll -l "$STAGE/$arch/pyun.lib"
  "$mingw-nm" "$STAGE/$arch/pyun.lib" 2>/dev/null | sed -n 's/.* T \(.*\)/\1/p' | sort -u > "$TMP/lib-$arch.syms"
  want_sym=$([ "$arch" = x64 ] && echo pyun_sign || echo _pyun_sign)
  if grep -qx "$want_sym" "$TMP/lib-$arch.syms" && [ "$(wc -l < "$TMP/lib-$arch.syms")" -eq "$N_HEADER" ]; then
    pass "[$arch] pyun.lib has the $N_HEADER functions as MSVC names them ($want_sym, ...)"
  else
    fail "[$arch] pyun.lib symbols are not the $N_HEADER functions named for MSVC: $(head -c 300 "$TMP/lib-$arch.syms")"
  fi
done

# --- 4. the C programs -------------------------------------------------------------------------------
CFLAGS=(-std=c99 -Wall -Wextra -Werror -O2 -g -I"$ROOT/include")
SOURCES=(examples/c/*.c tests/c/*.c)
{
  echo '#include <stdio.h>'
  echo '#include <string.h>'
  echo '#include <windows.h>'
  echo '#include "pyun.h"'
  echo 'static const char *const NAMES[] = {'
  sed 's/.*/    "&",/' "$TMP/header.funcs"
  echo '};'
  cat <<'EOF'
/* LoadLibrary + GetProcAddress of every header function, as .NET's DllImport, Delphi's external
 * and VB6's Declare do; then pyun_version() both through the pointer and through the import
 * library the program was linked with. */
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
    if (version == NULL || strcmp(version(), PYUN_VERSION_STRING) != 0 ||
        strcmp(pyun_version(), PYUN_VERSION_STRING) != 0) {
        printf("pyun_version() is not the header's " PYUN_VERSION_STRING "\n");
        return 1;
    }
    printf("loaded pyun.dll %s (%u-bit); %u functions resolved\n", version(),
           (unsigned)(sizeof(void *) * 8), (unsigned)(sizeof NAMES / sizeof NAMES[0] - missing));
    FreeLibrary(dll);
    return missing == 0 ? 0 : 1;
}
EOF
} > "$TMP/loader.c"

declare -A PROGRAMS
for arch in $ARCHES; do
  mingw=$(arch_mingw "$arch"); bin=$WORK/bin/$arch
  rm -rf "$bin" && mkdir -p "$bin"
  cp "$STAGE/$arch/pyun.dll" "$bin/"
  list=()
  for src in "${SOURCES[@]}"; do
    exe=$bin/$(basename "$src" .c).exe
    # linked against the import library: the program loads pyun.dll at start, as a user's would
    if "$mingw-gcc" "${CFLAGS[@]}" -I"$(dirname "$src")" -o "$exe" "$src" "$STAGE/$arch/libpyun.dll.a" 2> "$TMP/cc.log"; then
      if imports "$mingw" "$exe" | grep -qi '^pyun\.dll:'; then
        pass "[$arch] compiled $src"
        list+=("$exe")
        check_imports "$arch" "$mingw" "$exe" pyun
      else
        fail "[$arch] $src: the .exe does not import pyun.dll"
      fi
    else
      fail "[$arch] $src does not compile: $(head -c 4000 "$TMP/cc.log")"
    fi
  done
  PROGRAMS[$arch]="${list[*]}"
  for lib in libpyun.dll.a pyun.lib; do
    if ! "$mingw-gcc" "${CFLAGS[@]}" -Wno-cast-function-type -o "$bin/loader-${lib%%.*}.exe" \
         "$TMP/loader.c" "$STAGE/$arch/$lib" 2> "$TMP/cc.log"; then
      fail "[$arch] the loader does not link with $lib: $(head -c 2000 "$TMP/cc.log")"
    fi
  done
  "$mingw-gcc" "${CFLAGS[@]}" -o "$bin/verinfo.exe" scripts/windows/verinfo.c -lversion 2> "$TMP/cc.log" \
    || fail "[$arch] verinfo.c does not compile: $(cat "$TMP/cc.log")"
  "$mingw-gcc" "${CFLAGS[@]}" -Wno-cast-function-type -o "$bin/panic_host.exe" scripts/windows/panic_host.c 2> "$TMP/cc.log" \
    || fail "[$arch] panic_host.c does not compile: $(cat "$TMP/cc.log")"
  # MinGW's libgcc_s beside the panic host, for it to preload
  libgcc=$(ls /usr/lib/gcc/"$mingw"/*-win32/libgcc_s_*.dll 2>/dev/null | head -n1)
  [ -n "$libgcc" ] && cp "$libgcc" "$bin/" || fail "[$arch] no MinGW libgcc_s DLL found for the panic test"

  # VB6 (32-bit only): pyun_vb6.dll, __stdcall wrappers over pyun.dll, and Pyun.bas.
  if [ "$arch" = x86 ]; then
    VB6_CFLAGS=("${CFLAGS[@]}" -shared -static-libgcc)
    # its version resource, as pyun.dll's (ffi-c/build.rs): the release's version, read back below
    IFS=. read -r v1 v2 v3 <<< "${VERSION%%-*}"
    cat > "$TMP/pyun_vb6.rc" <<RC
1 VERSIONINFO
FILEVERSION $v1,$v2,$v3,0
PRODUCTVERSION $v1,$v2,$v3,0
FILEOS 0x40004
FILETYPE 2
BEGIN
  BLOCK "StringFileInfo"
  BEGIN
    BLOCK "040904b0"
    BEGIN
      VALUE "CompanyName", "pyun contributors"
      VALUE "FileDescription", "pyun: the stdcall layer over pyun.dll for VB6"
      VALUE "FileVersion", "$VERSION"
      VALUE "InternalName", "pyun_vb6"
      VALUE "LegalCopyright", "MIT OR Apache-2.0"
      VALUE "OriginalFilename", "pyun_vb6.dll"
      VALUE "ProductName", "pyun"
      VALUE "ProductVersion", "$VERSION"
    END
  END
  BLOCK "VarFileInfo"
  BEGIN
    VALUE "Translation", 0x409, 1200
  END
END
RC
    "$mingw-windres" -O coff -o "$TMP/pyun_vb6.res.o" "$TMP/pyun_vb6.rc"
    if "$mingw-gcc" "${VB6_CFLAGS[@]}" -o "$STAGE/x86/pyun_vb6.dll" bindings-vb6/pyun_vb6.c "$TMP/pyun_vb6.res.o" \
         "$STAGE/x86/libpyun.dll.a" -loleaut32 -Wl,--kill-at -s 2> "$TMP/cc.log" \
       && "$mingw-gcc" "${VB6_CFLAGS[@]}" -o "$TMP/pyun_vb6-decorated.dll" bindings-vb6/pyun_vb6.c \
         "$STAGE/x86/libpyun.dll.a" -loleaut32 2>> "$TMP/cc.log"; then
      pass "[x86] built pyun_vb6.dll (stdcall, --kill-at)"
      cp "$STAGE/x86/pyun_vb6.dll" "$bin/"
      check_imports x86 "$mingw" "$STAGE/x86/pyun_vb6.dll" pyun
      vb6_exports() {
        "$mingw-objdump" -p "$1" | sed -n '/^\[Ordinal\/Name Pointer\] Table/,/^$/p' \
          | sed -n 's/^[[:space:]]*\[ *[0-9]*\] //p' | sort -u
      }
      vb6_exports "$STAGE/x86/pyun_vb6.dll" > "$TMP/vb6.exports"
      vb6_exports "$TMP/pyun_vb6-decorated.dll" > "$TMP/vb6.decorated"
      if grep -q '@' "$TMP/vb6.exports"; then
        fail "[x86] pyun_vb6.dll exports decorated names: $(grep '@' "$TMP/vb6.exports" | head -n3 | tr '\n' ' ')"
      fi
      # Pyun.bas as VB6 loads it: CRLF line ends, ASCII only
      sed 's/\r*$/\r/' bindings-vb6/Pyun.bas > "$STAGE/x86/Pyun.bas"
      if LC_ALL=C grep -q '[^[:print:][:space:]]' bindings-vb6/Pyun.bas; then
        fail "[x86] bindings-vb6/Pyun.bas is not ASCII (VB6 reads it in the system code page)"
      fi
      if python3 scripts/windows/vb6_declares.py bindings-vb6/Pyun.bas bindings-vb6/pyun_vb6.g.c \
           "$TMP/vb6.exports" "$TMP/vb6.decorated" "$TMP/header.funcs" > "$TMP/vb6-declares.log" 2>&1; then
        pass "[x86] Pyun.bas against pyun_vb6.dll: $(tail -n1 "$TMP/vb6-declares.log" | sed 's/^vb6-declares: //')"
      else
        sed 's/^/    | /' "$TMP/vb6-declares.log"
        fail "[x86] Pyun.bas does not match pyun_vb6.dll: $(tail -n1 "$TMP/vb6-declares.log")"
      fi
      # the test: LoadLibrary + GetProcAddress, stdcall, no import library of pyun_vb6.dll
      if "$mingw-gcc" "${CFLAGS[@]}" -o "$bin/test_vb6.exe" bindings-vb6/test_vb6.c -loleaut32 2> "$TMP/cc.log"; then
        pass "[x86] compiled bindings-vb6/test_vb6.c"
        PROGRAMS[$arch]="${PROGRAMS[$arch]} $bin/test_vb6.exe"
      else
        fail "[x86] bindings-vb6/test_vb6.c does not compile: $(head -c 4000 "$TMP/cc.log")"
      fi
    else
      fail "[x86] pyun_vb6.dll does not build: $(head -c 4000 "$TMP/cc.log")"
    fi
  fi
done

# --- 5. under wine ------------------------------------------------------------------------------------
export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
unset DISPLAY WAYLAND_DISPLAY
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
export PYUN_APP_SECRET=$SECRET
start_sandbox "$PYUN_BIN" "$TMP/sandbox.log" || die "no sandbox"
URL=$STARTED_URL
# For the Delphi tests' background sender: a twentieth of the requests fail, another is dropped.
start_sandbox "$PYUN_BIN" "$TMP/faulty-sandbox.log" --error-rate 0.05 --drop-rate 0.05 || die "no faulty sandbox"
FAULTY_URL=$STARTED_URL
http() { python3 -c 'import sys, urllib.request; r = urllib.request.Request(sys.argv[1], data=(b"" if len(sys.argv) > 2 else None)); sys.stdout.write(urllib.request.urlopen(r, timeout=10).read().decode())' "$@"; }
say "sandbox answering at $URL [$(elapsed)]"
export PYUN_BASE_URL=$URL PYUN_SANDBOX_URL=$URL \
  PYUN_DATA_DIR="$(winpath "$ROOT/examples/data")" PYUN_WORK_DIR="$(winpath "$TMP/work")"
# tests/c/test_callbacks.c: its stress host (senders started and stopped, the log callback
# replaced, callbacks calling back into pyun.dll) for this long under wine.
export PYUN_CALLBACK_SECONDS=${PYUN_CALLBACK_SECONDS:-10}

# shellcheck source=scripts/windows/cli.sh
. "$ROOT/scripts/windows/cli.sh"
# shellcheck source=scripts/windows/service.sh
. "$ROOT/scripts/windows/service.sh"
# shellcheck source=scripts/windows/console.sh
. "$ROOT/scripts/windows/console.sh"

# run_wine ARCH LABEL EXE [ARGS...]: runs it from its own directory, output in $TMP/LABEL.txt
run_wine() {
  local arch=$1 label=$2 exe=$3 rc=0 t wine; shift 3
  wine=$([ "$arch" = x64 ] && echo "$WINE64" || echo "$WINE32")
  t=$(date +%s)
  (cd "$(dirname "$exe")" && WINEPREFIX=$TMP/prefix-$arch timeout -k 10 "$WINE_TIMEOUT" "$wine" "$exe" "$@") \
    > "$TMP/$label.out" 2>&1 || rc=$?
  tr -d '\r' < "$TMP/$label.out" > "$TMP/$label.txt"
  sed 's/^/    | /' "$TMP/$label.txt" | head -n 200
  [ "$rc" != 124 ] && [ "$rc" != 137 ] || say "$label: timed out after ${WINE_TIMEOUT}s"
  say "$label: exit $rc in $(($(date +%s) - t))s"
  return "$rc"
}

for arch in $ARCHES; do
  bin=$WORK/bin/$arch
  # x64: a 64-bit prefix and wine64; x86: a 32-bit prefix (Windows as a 32-bit system sees it)
  winearch=$([ "$arch" = x64 ] && echo win64 || echo win32)
  wine=$([ "$arch" = x64 ] && echo "$WINE64" || echo "$WINE32")
  say "[$arch] creating a $winearch wine prefix [$(elapsed)]"
  WINEPREFIX=$TMP/prefix-$arch WINEARCH=$winearch timeout 300 "$wine" wineboot --init > "$TMP/wineboot-$arch.log" 2>&1 \
    || { cat "$TMP/wineboot-$arch.log"; die "[$arch] wineboot failed"; }
  # One wineserver for the prefix's whole run (scripts/wine-server.sh; ended below and by cleanup)
  wine_server_start "$WINESERVER" "$wine" "$TMP/prefix-$arch" || die "[$arch] no persistent wineserver"

  for lib in libpyun pyun; do
    if run_wine "$arch" "loader-$lib-$arch" "$bin/loader-$lib.exe" \
       && grep -q "($([ "$arch" = x64 ] && echo 64 || echo 32)-bit); $N_HEADER functions resolved" "$TMP/loader-$lib-$arch.txt"; then
      pass "[$arch] loader linked with $lib$([ $lib = pyun ] && echo .lib || echo .dll.a): all $N_HEADER functions resolved under wine"
    else
      fail "[$arch] the loader linked with $lib under wine"
    fi
  done

  if run_wine "$arch" "verinfo-$arch" "$bin/verinfo.exe" pyun.dll; then
    v=$TMP/verinfo-$arch.txt
    if grep -qx "FileVersion: $VERSION" "$v" && grep -qx "ProductVersion: $VERSION" "$v" \
       && grep -qx "ProductName: pyun" "$v" && grep -qx "OriginalFilename: pyun.dll" "$v" \
       && grep -q "^CompanyName: ." "$v" && grep -q "^FileDescription: ." "$v" \
       && grep -qx "Fixed: $VERSION.0" "$v"; then
      pass "[$arch] version resource read back by GetFileVersionInfo: $VERSION, pyun, pyun.dll"
    else
      fail "[$arch] the version resource is not what was built in: $(tr '\n' ';' < "$v")"
    fi
  else
    fail "[$arch] verinfo.exe under wine"
  fi
  if [ "$arch" = x86 ] && [ -f "$bin/pyun_vb6.dll" ]; then
    v=$TMP/verinfo-vb6.txt
    if run_wine x86 verinfo-vb6 "$bin/verinfo.exe" pyun_vb6.dll && grep -qx "FileVersion: $VERSION" "$v" \
       && grep -qx "ProductVersion: $VERSION" "$v" && grep -qx "OriginalFilename: pyun_vb6.dll" "$v" \
       && grep -qx "Fixed: $VERSION.0" "$v"; then
      pass "[x86] pyun_vb6.dll's version resource read back by GetFileVersionInfo: $VERSION, pyun_vb6.dll"
    else
      fail "[x86] pyun_vb6.dll's version resource is not $VERSION: $(tr '\n' ';' < "$v" 2>/dev/null)"
    fi
  fi

  if [ -f "$WORK/test-panic/$arch/pyun.dll" ]; then
    if run_wine "$arch" "panic-$arch" "$bin/panic_host.exe" "$(winpath "$WORK/test-panic/$arch/pyun.dll")" \
       && grep -q "^pyun_test_panic returned 99: internal error in pyun" "$TMP/panic-$arch.txt"; then
      pass "[$arch] a panic inside pyun.dll, in a host with libgcc_s loaded, returns PYUN_RESULT_PANIC"
    else
      fail "[$arch] a panic inside pyun.dll was not caught at the boundary (host with libgcc_s loaded)"
    fi
  fi

  for exe in ${PROGRAMS[$arch]}; do
    name=$(basename "$exe" .exe)
    label=$name-$arch
    # Only push.c's records in the sandbox when it is checked below.
    [ "$name" != push ] || http "$URL/_sandbox/reset" post > /dev/null
    if [ "$name" = test_vb6 ]; then
      # the sign of test_vb6.c's GBK record, from the Linux CLI on its UTF-8 text
      printf '{"plate":"粤B12345","parking_serial":"VB6-1","car_desc":"临停","enter_gate":"","total_value":"1000"}' \
        > "$TMP/work/vb6-fields.json"
      export PYUN_VB6_WANT_SIGN
      PYUN_VB6_WANT_SIGN=$(PYUN_APP_SECRET=123 "$PYUN_BIN" sign "$TMP/work/vb6-fields.json")
    fi
    if run_wine "$arch" "$label" "$exe"; then
      pass "[$arch] $name.exe ran under wine"
    else
      fail "[$arch] $name.exe under wine"
      continue
    fi
    out=$TMP/$label.txt
    case "$name" in
      sign)
        # page 001's enter test vector with the secret 123, and a file of our own signed by
        # the Linux CLI: the same sign and canonical string from both builds.
        if PYUN_APP_SECRET=123 run_wine "$arch" "sign-vector-$arch" "$exe" \
           && grep -q 'F58EDB51E299C99BE0E24D84739994CA' "$TMP/sign-vector-$arch.txt"; then
          pass "[$arch] sign.exe gives page 001's sign F58EDB51E299C99BE0E24D84739994CA"
        else
          fail "[$arch] sign.exe does not give page 001's sign F58EDB51E299C99BE0E24D84739994CA"
        fi
        printf '{"plate":"粤B12345","parking_serial":"W-%s","car_desc":"临停","enter_gate":"","total_value":"1000"}' \
          "$(date +%s)" > "$TMP/work/fields.json"
        want_sign=$("$PYUN_BIN" sign "$TMP/work/fields.json")
        want_canon=$("$PYUN_BIN" sign --canonical "$TMP/work/fields.json")
        if run_wine "$arch" "sign-file-$arch" "$exe" "$(winpath "$TMP/work/fields.json")" \
           && grep -qx "sign: $want_sign" "$TMP/sign-file-$arch.txt" \
           && grep -qxF "canonical: $want_canon" "$TMP/sign-file-$arch.txt"; then
          pass "[$arch] sign.exe and the Linux CLI agree on a sign ($want_sign) and canonical string"
        else
          fail "[$arch] sign.exe and the Linux CLI disagree: CLI sign $want_sign, canonical $want_canon"
        fi
        ;;
      verify)
        grep -o '{.*"sign":.*}' "$out" | head -n1 > "$TMP/work/push.json" || true
        if [ -s "$TMP/work/push.json" ] && "$PYUN_BIN" verify "$TMP/work/push.json" > /dev/null; then
          pass "[$arch] the push signed by verify.exe under wine verifies with the Linux CLI"
        else
          fail "[$arch] the push signed by verify.exe under wine does not verify with the Linux CLI"
        fi
        ;;
      test_vb6)
        http "$URL/_sandbox/records" > "$TMP/records-vb6.json"
        if python3 - "$TMP/records-vb6.json" <<'PY'
import json, sys
records = json.load(open(sys.argv[1], encoding="utf-8"))
got = [r for r in records if r.get("endpoint") == "enter" and str(r.get("key", "")).startswith("VB6-")]
kinds = sorted({r["key"].split("-")[1] if r["key"].count("-") > 1 else "push" for r in got})
bad = [r["key"] for r in got if r.get("decoded", {}).get("plate") != "粤B12345"]
if len(got) < 3 or bad or kinds != ["OB", "SN", "push"]:
    sys.exit(f"{len(got)} VB6 records ({kinds}); plate not 粤B12345 in {bad}")
print(f"sandbox received {len(got)} VB6 records, plate 粤B12345 intact")
PY
        then
          pass "[$arch] test_vb6.exe's GBK records (push, drain, sender) reached the sandbox as 粤B12345"
        else
          fail "[$arch] the sandbox did not receive test_vb6.exe's GBK records intact"
        fi
        ;;
      push)
        http "$URL/_sandbox/records" > "$TMP/records.json"
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
print(f"sandbox received enter and leave of {serial} ({plate}) with photos {want['enter'][1]}, {want['leave'][1]}")
PY
        then
          pass "[$arch] push.exe under wine reached the sandbox: enter + leave with photos"
        else
          fail "[$arch] the sandbox did not receive push.exe's records as sent"
        fi
        ;;
    esac
    # a test program's own summary line, when it prints one, must count no failure
    summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -n1 || true)
    if [ -n "$summary" ]; then
      case "$summary" in
        *" 0 failed"*) pass "[$arch] $name.exe: $summary" ;;
        *) fail "[$arch] $name.exe: $summary" ;;
      esac
    fi
  done
  # Pyun.pas as a Delphi program uses it ({$mode delphi}, AnsiString, GBK): win32 as Delphi 7,
  # win64 as Delphi XE2+'s 64-bit target
  if WINEPREFIX=$TMP/prefix-$arch timeout -k 10 "$WINE_TIMEOUT" bash bindings-delphi/tests/windows.sh \
       "$arch" "$STAGE/$arch/pyun.dll" "$URL" "$FAULTY_URL" > "$TMP/delphi-$arch.txt" 2>&1; then
    summary=$(grep -E '^[0-9]+ passed, 0 failed' "$TMP/delphi-$arch.txt" | tail -n1 || true)
  else
    summary=""
  fi
  if [ -n "$summary" ]; then
    pass "[$arch] Pyun.pas tests built for $winearch by Free Pascal, under wine: $summary"
  else
    sed 's/^/    | /' "$TMP/delphi-$arch.txt" | tail -n 60
    fail "[$arch] Pyun.pas tests built for $winearch (bindings-delphi/tests/windows.sh)"
  fi
  # samples/delphi/PyunLotSample.dpr: an enter with a photo pushed from a worker thread, another
  # kept in the outbox for the sender, the events shown by the main thread
  if WINEPREFIX=$TMP/prefix-$arch PYUN_DELPHI_PROGRAM=samples/delphi/PyunLotSample.dpr timeout -k 10 "$WINE_TIMEOUT" \
       bash bindings-delphi/tests/windows.sh "$arch" "$STAGE/$arch/pyun.dll" "$URL" "$FAULTY_URL" \
       > "$TMP/delphi-sample-$arch.txt" 2>&1 && grep -q '^both enters accepted' "$TMP/delphi-sample-$arch.txt" \
     && http "$URL/_sandbox/records" > "$TMP/records-dp.json" \
     && python3 - "$TMP/records-dp.json" "$TMP/delphi-sample-$arch.txt" "$ROOT/examples/data/enter.gif" <<'PY'
import hashlib, json, re, sys
records = json.load(open(sys.argv[1], encoding="utf-8"))
keys = set(re.findall(r"DP-\d+-[PQ]", open(sys.argv[2], encoding="utf-8", errors="replace").read()))
md5 = hashlib.md5(open(sys.argv[3], "rb").read()).hexdigest().upper()
got = [r for r in records if r.get("key") in keys and r.get("decoded", {}).get("plate") == "粤B12345"
       and r.get("files", {}).get("enter_image_file", {}).get("md5") == md5]
sys.exit(0 if len(keys) == 2 and len(got) == 2 else f"{len(got)} of {sorted(keys)} with plate and photo")
PY
  then
    pass "[$arch] samples/delphi/PyunLotSample.dpr built for $winearch by Free Pascal, under wine: both enters (GBK plate, photo) reached the sandbox"
  else
    sed 's/^/    | /' "$TMP/delphi-sample-$arch.txt" | tail -n 40
    fail "[$arch] samples/delphi/PyunLotSample.dpr under wine"
  fi
  # pyun.exe: demo, sandbox, a GBK push, listen with a .cmd handler, outbox drain --follow
  prove_cli "$arch"
  # pyun.exe service: listen as a service of wine's services.exe (install, boot, stop, uninstall)
  prove_service "$arch"
  # pyun.exe console: by hand and as a service, reached from Linux
  prove_console "$arch"
  wine_server_stop "$WINESERVER" "$TMP/prefix-$arch"
done

# --- 6. the release zip ---------------------------------------------------------------------------
if [ "$ARCHES" = "x64 x86" ] || [ "$ARCHES" = "x86 x64" ]; then
  # The Pyun.Net NuGet package (bindings-dotnet/, docs/dotnet.md) with both DLLs, its layout
  # checked; its assembly goes into the zip too.
  if bash scripts/dotnet-pack.sh "$STAGE" > "$TMP/dotnet-pack.log" 2>&1; then
    pass "NuGet package $(sed -n 's/^dotnet-pack: \(.*\.nupkg\) .*/\1/p' "$TMP/dotnet-pack.log" | xargs basename): $(tail -n1 "$TMP/dotnet-pack.log" | sed 's/^dotnet-pack: //')"
    mkdir -p "$STAGE/dotnet"
    cp target/dotnet/pkg/lib/net40/Pyun.Net.dll target/dotnet/pkg/lib/net40/Pyun.Net.xml \
      "target/Pyun.Net.$VERSION.nupkg" "$STAGE/dotnet/"
  else
    cat "$TMP/dotnet-pack.log"
    fail "NuGet package: scripts/dotnet-pack.sh failed"
  fi
  mkdir -p "$STAGE/include" "$STAGE/docs" "$STAGE/examples" "$STAGE/delphi"
  cp include/pyun.h "$STAGE/include/"
  cp docs/windows.md docs/c-api.md docs/outbox.md docs/dotnet.md docs/vb6.md docs/delphi.md \
    docs/console.md docs/console.zh.md "$STAGE/docs/"
  # Their Chinese versions, which each of them links to.
  mkdir -p "$STAGE/docs/zh-CN"
  (cd docs/zh-CN && cp windows.md c-api.md outbox.md dotnet.md vb6.md delphi.md "$STAGE/docs/zh-CN/")
  cp -r examples/c examples/csharp examples/data "$STAGE/examples/"
  cp bindings-delphi/Pyun.pas bindings-delphi/PyunImports.inc "$STAGE/delphi/"
  # the sample projects (samples/): VB6's files with CRLF line ends, as VB6 reads them
  mkdir -p "$STAGE/samples/csharp" "$STAGE/samples/vb6" "$STAGE/samples/delphi"
  cp samples/csharp/*.cs samples/csharp/*.csproj "$STAGE/samples/csharp/"
  for f in samples/vb6/*; do sed 's/\r*$/\r/' "$f" > "$STAGE/samples/vb6/$(basename "$f")"; done
  cp samples/delphi/*.dpr "$STAGE/samples/delphi/"
  cp LICENSE-MIT LICENSE-APACHE "$STAGE/"
  # README.txt as Notepad on a Chinese Windows 7 reads it: UTF-8 with a BOM (without one it
  # takes the file for GBK), CRLF line ends.
  { printf '\357\273\277'; sed "s/@VERSION@/$VERSION/g; s/\r*\$/\r/" scripts/windows/README.txt; } > "$STAGE/README.txt"
  {
    echo "pyun $VERSION for Windows 7 and newer (x86: 32-bit processes, x64: 64-bit processes)"
    echo "commit: $(git rev-parse HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
    echo "rustc: $RUSTC_VERSION (Debian rustc-web $RUST_DEB)"
    echo "cargo: $CARGO_VERSION"
    echo "targets: x86 = i686-win7-windows-gnu (+ rsbegin.o), x64 = x86_64-win7-windows-gnu; -Zbuild-std=std,panic_unwind"
    echo "linker: $(x86_64-w64-mingw32-gcc --version | head -n1); $(i686-w64-mingw32-gcc --version | head -n1)"
    echo "imports: $(cat "$TMP/imports-summary" | tr '\n' ';')"
    echo
    echo "sha256:"
    (cd "$STAGE" && find . -type f ! -name build-info.txt | LC_ALL=C sort | xargs sha256sum)
  } > "$STAGE/build-info.txt"
  ZIP=$ROOT/target/pyun-$VERSION-windows.zip
  rm -f "$ZIP"
  (cd "$WORK/stage" && zip -q -r -X "$ZIP" "pyun-$VERSION-windows")
  rm -rf "$TMP/unzip" && mkdir -p "$TMP/unzip"
  unzip -q "$ZIP" -d "$TMP/unzip"
  top=$TMP/unzip/pyun-$VERSION-windows
  missing=()
  for f in x86/pyun.dll x86/pyun.def x86/pyun.lib x86/libpyun.dll.a x86/pyun_vb6.dll x86/Pyun.bas \
           docs/vb6.md docs/zh-CN/windows.md docs/zh-CN/c-api.md x64/pyun.dll x64/pyun.def \
           x64/pyun.lib x64/libpyun.dll.a include/pyun.h docs/windows.md docs/c-api.md \
           examples/c/push.c examples/csharp/Sample.cs build-info.txt \
           x86/pyun.exe x64/pyun.exe dotnet/Pyun.Net.dll "dotnet/Pyun.Net.$VERSION.nupkg" delphi/Pyun.pas \
           examples/data/enter.json examples/data/enter.gif LICENSE-MIT LICENSE-APACHE README.txt \
           delphi/PyunImports.inc samples/csharp/PyunLotSample.csproj samples/csharp/MainForm.cs \
           samples/vb6/PyunLotSample.vbp samples/vb6/frmLot.frm samples/delphi/PyunLotSample.dpr; do
    [ -s "$top/$f" ] || missing+=("$f")
  done
  # README.txt names every file of the zip (under docs\ and examples\: its folder will do)
  tr '\\' / < "$top/README.txt" > "$TMP/readme-slashes.txt"
  unnamed=$(cd "$top" && find . -type f | sed 's#^\./##' | LC_ALL=C sort | while read -r f; do
    case $f in docs/* | examples/* | samples/*) d=$(dirname "$f")/ ;; *) d=$f ;; esac
    grep -qF "$f" "$TMP/readme-slashes.txt" || grep -qF "$d" "$TMP/readme-slashes.txt" || echo "$f"; done)
  if [ -z "$unnamed" ] && head -c 3 "$top/README.txt" | od -An -tx1 | grep -q 'ef bb bf' \
     && [ "$(grep -c $'\r$' "$top/README.txt")" = "$(wc -l < "$top/README.txt")" ]; then
    pass "README.txt (UTF-8 with BOM, CRLF) names every file of the zip"
  else
    fail "README.txt: no BOM or not CRLF, or it does not name: $(echo $unnamed)"
  fi
  if [ ${#missing[@]} -eq 0 ] && (cd "$top" && sed -n '/^sha256:/,$p' build-info.txt | tail -n +2 | sha256sum --quiet -c -) \
     && cmp -s "$top/x86/pyun.dll" "$STAGE/x86/pyun.dll" && cmp -s "$top/x64/pyun.dll" "$STAGE/x64/pyun.dll"; then
    pass "release zip $(basename "$ZIP") ($(du -h "$ZIP" | cut -f1)): layout complete, SHA-256 of every file matches build-info.txt"
  else
    fail "release zip: missing ${missing[*]:-nothing}, or a SHA-256 in build-info.txt does not match"
  fi
  # The C# sample project as Visual Studio opens it from the unpacked zip: Pyun.Net.dll found at
  # ..\..\dotnet\, both pyun.dll copied to x86\ and x64\ beside the .exe (xbuild, .NET 4.0 API).
  if (cd "$top/samples/csharp" && xbuild /nologo /v:minimal /p:BaseIntermediateOutputPath="$TMP/xbuild-obj/" \
        PyunLotSample.csproj) > "$TMP/xbuild.log" 2>&1 \
     && cmp -s "$top/samples/csharp/bin/Debug/Pyun.Net.dll" "$top/dotnet/Pyun.Net.dll" \
     && cmp -s "$top/samples/csharp/bin/Debug/x86/pyun.dll" "$top/x86/pyun.dll" \
     && cmp -s "$top/samples/csharp/bin/Debug/x64/pyun.dll" "$top/x64/pyun.dll" \
     && [ -s "$top/samples/csharp/bin/Debug/PyunLotSample.exe" ]; then
    pass "samples/csharp/PyunLotSample.csproj from the zip built by xbuild: Pyun.Net.dll, x86\\pyun.dll, x64\\pyun.dll beside the .exe"
  else
    sed 's/^/    | /' "$TMP/xbuild.log" | tail -n 30
    fail "samples/csharp/PyunLotSample.csproj does not build from the unpacked zip"
  fi
  # versions: the zip's Pyun.Net.dll is the one scripts/dotnet-pack.sh read back as $VERSION;
  # pyun_vb6.dll's resource was read back under wine above (the staged file, the zip's: cmp)
  if cmp -s "$top/dotnet/Pyun.Net.dll" target/dotnet/pkg/lib/net40/Pyun.Net.dll \
     && grep -q "AssemblyVersion ${VERSION%%-*}.0" "$TMP/dotnet-pack.log" \
     && cmp -s "$top/x86/pyun_vb6.dll" "$STAGE/x86/pyun_vb6.dll" \
     && grep -qx "FileVersion: $VERSION" "$TMP/verinfo-vb6.txt"; then
    pass "zip versions: dotnet/Pyun.Net.dll AssemblyVersion ${VERSION%%-*}.0, x86/pyun_vb6.dll FileVersion $VERSION"
  else
    fail "zip versions: Pyun.Net.dll or pyun_vb6.dll is not the one checked as $VERSION"
  fi
fi

say "DLLs: $(for a in $ARCHES; do printf '%s %s bytes; ' "$a" "$(stat -c %s "$STAGE/$a/pyun.dll")"; done)"
say "imports: $(tr '\n' ';' < "$TMP/imports-summary")"
say "total $(elapsed)"
if [ "$FAILED" -gt 0 ]; then
  say "failures:"
  for f in "${FAILURES[@]}"; do say "  - $f"; done
fi
echo "windows: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
