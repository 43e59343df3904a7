#!/usr/bin/env bash
# Builds test_pyun.dpr (or PYUN_DELPHI_PROGRAM, below) for Windows with Free Pascal and runs it under wine against a pyun.dll:
# x86 (i386-win32, a 32-bit wine prefix, as Delphi 7) or x64 (x86_64-win64, as Delphi XE2+'s
# 64-bit target). scripts/windows.sh runs it in CI for both. Debian ships no Windows units for
# fpc, so this builds them from Debian's fpc-source (and, for x86, the i386 cross compiler
# first; the installed ppcx64 targets win64 itself), once, into target/fpc-windows; about 20
# seconds each.
#
#   bash bindings-delphi/tests/windows.sh x86|x64 PYUN_DLL URL FAULTY_URL
#
# PYUN_DLL: the pyun.dll of that architecture (target/windows/stage/pyun-<version>-windows/
# <arch>/pyun.dll from scripts/windows.sh); URL, FAULTY_URL: running sandboxes; PYUN_APP_SECRET
# in the environment; WINEPREFIX: a prefix of the architecture's kind (default: one of its own).
# Needs fpc, fpc-source-3.2.2, wine64 and wine32:i386 (scripts/windows.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
arch=$1 dll=$2 url=$3 faulty_url=$4
src=/usr/share/fpcsrc/3.2.2
build=${PYUN_FPC_WINDOWS_DIR:-$root/target/fpc-windows}
case $arch in
  x86) os=win32 cpu=i386 compiler=$build/compiler/out/ppcross386 wine=/usr/lib/wine/wine ;;
  x64) os=win64 cpu=x86_64 compiler=ppcx64 wine=/usr/lib/wine/wine64 ;;
  *) echo "usage: $0 x86|x64 PYUN_DLL URL FAULTY_URL" >&2; exit 2 ;;
esac
mkdir -p "$build"
[ -d "$build/rtl" ] || cp -r "$src/rtl" "$build/"
if [ "$arch" = x86 ] && [ ! -x "$compiler" ]; then
  echo "== ppcross386 from $src"
  rm -rf "$build/compiler"
  cp -r "$src/compiler" "$build/"
  cd "$build/compiler"
  # Debian's source lacks the generated message tables: the installed msg/ has errore.msg.
  cp -r /usr/lib/x86_64-linux-gnu/fpc/3.2.2/msg .
  ppcx64 -FE. utils/msg2inc.pp >/dev/null
  ./msg2inc msg/errore.msg msg msg >/dev/null
  mkdir -p out
  ppcx64 -O2 -Xs -di386 -dRELEASE -Fui386 -Fusystems -Fux86 -Fii386 -Fix86 -Fiinc -FUout -FEout \
    -oppcross386 pp.pas >"$build/pp.log" 2>&1 || { tail -20 "$build/pp.log"; exit 1; }
  cd "$root"
fi
units=$build/units-$os
if [ ! -f "$units/syncobjs.ppu" ]; then
  echo "== $os RTL"
  rm -rf "$units"
  mkdir -p "$units"
  cd "$build/rtl/$os"
  P="$compiler -n -T$os -P$cpu -O2 -Fi../inc -Fi../$cpu -Fi../win -Fi../x86"
  P="$P -Fu../inc -Fu../$cpu -Fu../win -Fu../x86 -FU$units -Fu$units"
  {
    $P -Us -Sg system.pp -Fi../win
    $P ../inc/heaptrc.pp
    $P -I../objpas ../objpas/objpas.pp
    $P -Fi../objpas/sysutils -Fi../objpas/classes -I../objpas -I../win/wininc -Fu../win/wininc \
      -I../inc -Fu../objpas buildrtl.pp
    $P -Fi"$src/packages/fcl-base/src" "$src/packages/fcl-base/src/syncobjs.pp"
  } >"$build/rtl-$os.log" 2>&1 || { tail -20 "$build/rtl-$os.log"; exit 1; }
  cd "$root"
fi
# PYUN_DELPHI_PROGRAM=samples/delphi/PyunLotSample.dpr: that program instead of the tests, run
# as PROGRAM URL DATA_DIR WORK_DIR (the lot sample: an enter pushed, another through the outbox).
program=${PYUN_DELPHI_PROGRAM:-bindings-delphi/tests/test_pyun.dpr}
name=$(basename "$program" .dpr)
echo "== $name.exe ($cpu-$os, {\$mode delphi}: AnsiString, GBK)"
run=$build/run-$os-$name
rm -rf "$run"
mkdir -p "$run/units" "$run/work"
"$compiler" -n -T$os -P$cpu -O2 -Fu"$units" -Fubindings-delphi -FU"$run/units" \
  -o"$run/$name.exe" "$program" >"$build/$name-$os.log" 2>&1 ||
  { tail -20 "$build/$name-$os.log"; exit 1; }
cp "$dll" "$run/pyun.dll"
export WINEPREFIX=${WINEPREFIX:-$build/prefix-$os} WINEARCH=$os WINEDEBUG=-all
cd "$run"
data="Z:${root//\//\\}\\examples\\data" work="Z:${run//\//\\}\\work"
if [ -n "${PYUN_DELPHI_PROGRAM:-}" ]; then
  "$wine" "$name.exe" "$url" "$data" "$work"
else
  "$wine" "$name.exe" "$url" "$faulty_url" "$data" "$work"
fi
