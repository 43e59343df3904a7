#!/usr/bin/env bash
# Builds test_pyun.dpr for i386-win32 with Free Pascal and runs it under 32-bit wine against a
# 32-bit pyun.dll; scripts/windows.sh runs it in CI. Debian ships no win32 units for fpc, so
# this builds the i386 cross compiler and the win32 RTL from Debian's fpc-source (once, into
# target/fpc-win32; about 20 seconds).
#
#   bash bindings-delphi/tests/win32.sh PYUN_DLL URL FAULTY_URL
#
# PYUN_DLL: the 32-bit pyun.dll (target/windows/stage/pyun-<version>-windows/x86/pyun.dll from
# scripts/windows.sh); URL, FAULTY_URL: running sandboxes; PYUN_APP_SECRET in the environment.
# Needs fpc, fpc-source-3.2.2, wine32:i386 (scripts/windows.sh installs wine).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
dll=$1 url=$2 faulty_url=$3
src=/usr/share/fpcsrc/3.2.2
build=${PYUN_FPC_WIN32_DIR:-$root/target/fpc-win32}
mkdir -p "$build"
if [ ! -x "$build/compiler/out/ppcross386" ]; then
  echo "== ppcross386 from $src"
  rm -rf "$build/compiler" "$build/rtl"
  cp -r "$src/compiler" "$src/rtl" "$build/"
  cd "$build/compiler"
  # Debian's source lacks the generated message tables: the installed msg/ has errore.msg.
  cp -r /usr/lib/x86_64-linux-gnu/fpc/3.2.2/msg .
  ppcx64 -FE. utils/msg2inc.pp >/dev/null
  ./msg2inc msg/errore.msg msg msg >/dev/null
  mkdir -p out
  ppcx64 -O2 -Xs -di386 -dRELEASE -Fui386 -Fusystems -Fux86 -Fii386 -Fix86 -Fiinc -FUout -FEout \
    -oppcross386 pp.pas >"$build/pp.log" 2>&1 || { tail -20 "$build/pp.log"; exit 1; }
  echo "== win32 RTL"
  u="$build/units"
  mkdir -p "$u"
  cd "$build/rtl/win32"
  P="$build/compiler/out/ppcross386 -n -Twin32 -Pi386 -O2 -Fi../inc -Fi../i386 -Fi../win -Fi../x86"
  P="$P -Fu../inc -Fu../i386 -Fu../win -Fu../x86 -FU$u -Fu$u"
  {
    $P -Us -Sg system.pp -Fi../win
    $P ../inc/heaptrc.pp
    $P -I../objpas ../objpas/objpas.pp
    $P -Fi../objpas/sysutils -Fi../objpas/classes -I../objpas -I../win/wininc -Fu../win/wininc \
      -I../inc -Fu../objpas buildrtl.pp
    $P -Fi"$src/packages/fcl-base/src" "$src/packages/fcl-base/src/syncobjs.pp"
  } >"$build/rtl.log" 2>&1 || { tail -20 "$build/rtl.log"; exit 1; }
  cd "$root"
fi
echo "== test_pyun.exe (i386-win32, {\$mode delphi}: AnsiString, GBK)"
run="$build/run"
rm -rf "$run"
mkdir -p "$run/units" "$run/work"
"$build/compiler/out/ppcross386" -n -Twin32 -Pi386 -O2 -Fu"$build/units" -Fubindings-delphi \
  -FU"$run/units" -o"$run/test_pyun.exe" bindings-delphi/tests/test_pyun.dpr >"$build/test.log" 2>&1 ||
  { tail -20 "$build/test.log"; exit 1; }
cp "$dll" "$run/pyun.dll"
# A 32-bit Windows (scripts/windows.sh passes its own x86 prefix in WINEPREFIX).
export WINEPREFIX=${WINEPREFIX:-$build/wineprefix32} WINEARCH=win32 WINEDEBUG=-all
cd "$run"
/usr/lib/wine/wine test_pyun.exe "$url" "$faulty_url" "Z:${root//\//\\}\\examples\\data" \
  "Z:${run//\//\\}\\work"
