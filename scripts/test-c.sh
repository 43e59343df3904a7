#!/usr/bin/env bash
# The C ABI end to end: builds libpyun, compiles the C examples and tests (-Wall -Wextra
# -Werror) and the C# sample (mcs), starts a sandbox on a free loopback port, runs them all
# against it, then runs the C programs again under valgrind. Also builds the C# class library
# bindings-dotnet/ (Pyun.Net.dll) and runs its tests on Mono (docs/dotnet.md), and the Delphi unit
# bindings-delphi/Pyun.pas with Free Pascal, AnsiString/GBK and UnicodeString/UTF-8 builds
# (docs/delphi.md); the C# sample project samples/csharp/ (xbuild, its non-UI part on Mono) and
# every snippet of docs/dotnet.md, docs/delphi.md, docs/vb6.md and the VB6 sample
# (scripts/doc_snippets.py). Installs what it needs on a fresh Debian machine (gcc, g++, make,
# valgrind, mono-mcs, mono-runtime, mono-xbuild, mono-devel, WinForms, fpc).
#
#   bash scripts/test-c.sh            (scripts/test.sh runs it)
#   PYUN_C_NO_VALGRIND=1 bash scripts/test-c.sh   skips the valgrind pass (quick local runs)
#   PYUN_CALLBACK_SECONDS=30 (default) / PYUN_CALLBACK_VALGRIND_SECONDS=5 (default): how long
#   tests/c/test_callbacks.c's stress host runs, plain and under valgrind
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
started=$(date +%s)
export CARGO_TERM_COLOR=never

echo "== tools"
need=()
command -v gcc >/dev/null || need+=(gcc)
command -v g++ >/dev/null || need+=(g++)
command -v make >/dev/null || need+=(make)
command -v valgrind >/dev/null || need+=(valgrind)
command -v mcs >/dev/null || need+=(mono-mcs)
command -v mono >/dev/null || need+=(mono-runtime)
command -v fpc >/dev/null || need+=(fpc)
# xbuild and the .NET Framework 4.0 reference assemblies (mono-devel's 4.0-api), WinForms: the
# C# sample project samples/csharp/PyunLotSample.csproj
command -v xbuild >/dev/null || need+=(mono-xbuild)
[ -f /usr/lib/mono/4.0-api/mscorlib.dll ] || need+=(mono-devel)
[ -n "$(ls /usr/lib/mono/gac/System.Windows.Forms 2>/dev/null)" ] || need+=(libmono-system-windows-forms4.0-cil)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi

echo "== build libpyun and the sandbox"
# Two builds, each as scripts/test.sh and the demo already build them, so nothing is rebuilt.
cargo build -q --release -p pyun-ffi
cargo build -q --release -p pyun-cli
lib="$root/target/release"
test -f "$lib/libpyun.so"
out="$root/target/c"
mkdir -p "$out"
work=$(mktemp -d)
# shellcheck source=scripts/sandbox.sh
. "$root/scripts/sandbox.sh"
cleanup() {
  stop_sandboxes
  rm -rf "$work"
}
trap cleanup EXIT

echo "== compile (gcc -std=c99 / g++ -std=c++11 -Wall -Wextra -Werror; mcs -langversion:4)"
make -s -C examples/c OUT="$out" PYUN_LIB_DIR="$lib" CC=gcc
make -s -C tests/c all thread-exit OUT="$out" PYUN_LIB_DIR="$lib" CC=gcc CXX=g++
# Pyun.Net (bindings-dotnet/): C# 4, .NET Framework 4.0 API; never named pyun.dll (the native one).
mcs -langversion:4 -target:library -warnaserror -nologo -out:"$out/Pyun.Net.dll" bindings-dotnet/src/*.cs
mcs -langversion:4 -warnaserror -nologo -r:"$out/Pyun.Net.dll" -out:"$out/PyunNetTests.exe" bindings-dotnet/tests/*.cs
mcs -langversion:4 -warnaserror -nologo -r:"$out/Pyun.Net.dll" -out:"$out/PyunSample.exe" examples/csharp/*.cs
# The header as old compilers read it: C89 and C++98, pedantic, no warnings.
printf '#include "pyun.h"\nint main(void) { return pyun_version()[0] != 0 ? 0 : 1; }\n' >"$work/header.c"
cp "$work/header.c" "$work/header.cpp"
gcc -std=c89 -pedantic -Wall -Wextra -Werror -Iinclude -fsyntax-only "$work/header.c"
gcc -std=c99 -pedantic -Wall -Wextra -Werror -Iinclude -fsyntax-only "$work/header.c"
g++ -std=c++98 -pedantic -Wall -Wextra -Werror -Iinclude -fsyntax-only "$work/header.cpp"
echo "include/pyun.h compiles as C89, C99 and C++98 (-pedantic -Werror)"
# The complete example of docs/c-api.md compiles as printed.
awk '/^```c$/{f=1; next} /^```$/{f=0} f' docs/c-api.md | sed -n '/^#include <stdio.h>/,$p' >"$work/doc_example.c"
grep -q pyun_client_push "$work/doc_example.c"
gcc -std=c99 -Wall -Wextra -Werror -Iinclude -o "$out/doc_example" "$work/doc_example.c" -L"$lib" -lpyun

echo "== sandbox"
# A secret of this run, passed through the environment only (never on a command line, never
# printed).
PYUN_APP_SECRET="c-test-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
export PYUN_APP_SECRET
start_sandbox "$lib/pyun" "$work/sandbox.log"
url=$STARTED_URL
echo "sandbox at $url"
# For the background sender: one that fails and drops a twentieth of the requests each.
start_sandbox "$lib/pyun" "$work/faulty.log" --error-rate 0.05 --drop-rate 0.05
faulty_url=$STARTED_URL
echo "faulty sandbox at $faulty_url"

export LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
total_passed=0

# run LABEL PREFIX...: runs the C examples and tests, with PREFIX (valgrind) or without.
run() {
  local label=$1
  shift
  echo "== C examples ($label)"
  # sign: page 001's enter vector with secret 123.
  PYUN_APP_SECRET=123 "$@" "$out/sign" >"$work/sign.out"
  cat "$work/sign.out"
  grep -qx 'sign: F58EDB51E299C99BE0E24D84739994CA' "$work/sign.out"
  "$@" "$out/sign" "$root/examples/data/enter.json" >"$work/sign.out"
  grep -q '^sign: [0-9A-F]\{32\}$' "$work/sign.out"
  # verify: the demo, then a push from a file, valid and tampered.
  "$@" "$out/verify" >"$work/verify.out"
  cat "$work/verify.out"
  sed -n 's/^push: //p' "$work/verify.out" >"$work/push.json"
  "$@" "$out/verify" "$work/push.json"
  sed 's/"paid_value":"900"/"paid_value":"9000"/' "$work/push.json" >"$work/tampered.json"
  local rc=0
  "$@" "$out/verify" "$work/tampered.json" || rc=$?
  [ "$rc" = 1 ] || { echo "verify accepted a tampered push (exit $rc)" >&2; exit 1; }
  "$@" "$out/verify" "$work/missing.json" 2>/dev/null && exit 1
  # push: enter + leave with photos, to the sandbox.
  "$@" "$out/push" "$url" "$root/examples/data"
  PYUN_BASE_URL="$url" PYUN_DATA_DIR="$root/examples/data" "$@" "$out/push" >/dev/null

  echo "== C tests ($label)"
  PYUN_RUN_ID="$label" "$@" "$out/test_pyun" "$url" "$root/examples/data" "$work" \
    | tee "$work/test.out"
  local line
  line=$(tail -n 1 "$work/test.out")
  [[ "$line" =~ ^([0-9]+)\ passed,\ 0\ failed$ ]] || { echo "C tests failed" >&2; exit 1; }
  total_passed=$((total_passed + ${BASH_REMATCH[1]}))

  echo "== C tests: stale, freed, foreign and mistyped pointers ($label)"
  PYUN_RUN_ID="$label" "$@" "$out/test_handles" "$url" "$root/examples/data" "$work" \
    | tee "$work/handles.out"
  line=$(tail -n 1 "$work/handles.out")
  [[ "$line" =~ ^([0-9]+)\ passed,\ 0\ failed$ ]] || { echo "C handle tests failed" >&2; exit 1; }
  total_passed=$((total_passed + ${BASH_REMATCH[1]}))

  echo "== C: enqueue and forget, the background sender through faults ($label)"
  PYUN_DELIVERY_RECORDS=$delivery_records "$@" "$out/test_delivery" "$faulty_url" "$work" \
    | tee "$work/delivery.out"
  line=$(tail -n 1 "$work/delivery.out")
  [[ "$line" =~ ^([0-9]+)\ passed,\ 0\ failed$ ]] || { echo "C delivery test failed" >&2; exit 1; }
  total_passed=$((total_passed + ${BASH_REMATCH[1]}))

  echo "== C: the last error in Chinese, in the call's charset (GBK, UTF-8; $label)"
  "$@" "$out/test_lang" | tee "$work/lang.out"
  line=$(tail -n 1 "$work/lang.out")
  [[ "$line" =~ ^([0-9]+)\ passed,\ 0\ failed$ ]] || { echo "C language test failed" >&2; exit 1; }
  total_passed=$((total_passed + ${BASH_REMATCH[1]}))

  echo "== C: the outbox's files damaged, deleted, created twice at once ($label)"
  "$@" "$out/test_storage" "$work" | tee "$work/storage.out"
  line=$(tail -n 1 "$work/storage.out")
  [[ "$line" =~ ^([0-9]+)\ passed,\ 0\ failed$ ]] || { echo "C storage test failed" >&2; exit 1; }
  echo "== C: callbacks (calls back into pyun, unset and stop from inside, a stress host for ${callback_seconds} s; $label)"
  # A watchdog inside ends a hang with exit 3 ("HANG: ..."), so a deadlock fails here.
  PYUN_CALLBACK_SECONDS=$callback_seconds "$@" "$out/test_callbacks" "$url" "$work" | tee "$work/callbacks.out"
  line=$(tail -n 1 "$work/callbacks.out")
  [[ "$line" =~ ^([0-9]+)\ passed,\ 0\ failed$ ]] || { echo "C callback tests failed" >&2; exit 1; }
  total_passed=$((total_passed + ${BASH_REMATCH[1]}))

  echo "== C++ calls at thread exit ($label)"
  # thread_local and pthread key destructors call pyun: every call returns, nothing aborts.
  "$@" "$out/test_thread_exit" "$url" "$work" | tee "$work/thread_exit.out"
  # Seven places (four at thread exit), the main thread's thread_local last, after main.
  grep -qx 'thread exit: ok' "$work/thread_exit.out" &&
    [ "$(grep -c ': every call returned its result ' "$work/thread_exit.out")" = 7 ] || {
    echo "C++ thread exit test failed" >&2
    exit 1
  }
  total_passed=$((total_passed + 1))
}

delivery_records=1000
callback_seconds=${PYUN_CALLBACK_SECONDS:-30}
run plain

echo "== C# sample (mono, through Pyun.Net.dll)"
mono "$out/PyunSample.exe" "$url" "$root/examples/data"

echo "== Pyun.Net tests (mono, libpyun.so, the sandbox and the faulty sandbox)"
mono "$out/PyunNetTests.exe" "$url" "$faulty_url" "$root/examples/data" "$work" | tee "$work/dotnet.out"
line=$(tail -n 1 "$work/dotnet.out")
[[ "$line" =~ ^([0-9]+)\ passed,\ 0\ failed$ ]] || { echo "Pyun.Net tests failed" >&2; exit 1; }
total_passed=$((total_passed + ${BASH_REMATCH[1]}))

echo "== C# sample project (xbuild samples/csharp/PyunLotSample.csproj, .NET Framework 4.0, WinForms)"
# Built as Visual Studio builds it, against this Pyun.Net.dll; its non-UI part (--check) then
# pushes an enter with a photo off the main thread and keeps one in the outbox for the sender.
rm -rf "$out/lot-sample" "$out/lot-sample-obj"
xbuild /nologo /v:minimal /p:PyunNetDll="$out/Pyun.Net.dll" /p:OutputPath="$out/lot-sample/" \
  /p:BaseIntermediateOutputPath="$out/lot-sample-obj/" samples/csharp/PyunLotSample.csproj >"$work/xbuild.log" 2>&1 \
  && [ -f "$out/lot-sample/PyunLotSample.exe" ] || {
  cat "$work/xbuild.log" >&2
  echo "xbuild of samples/csharp/PyunLotSample.csproj failed (warnings are errors there)" >&2
  exit 1
}
mono "$out/lot-sample/PyunLotSample.exe" --check "$url" "$root/examples/data" | tee "$work/lot-sample.out"
python3 - "$url" "$work/lot-sample.out" "$root/examples/data/enter.gif" <<'PY'
import hashlib, json, re, sys, urllib.request
out = open(sys.argv[2], encoding="utf-8").read()
md5 = hashlib.md5(open(sys.argv[3], "rb").read()).hexdigest().upper()
keys = re.findall(r"CS-\d+-[PQ]", out)
records = json.load(urllib.request.urlopen(sys.argv[1] + "/_sandbox/records", timeout=10))
got = [r for r in records if r.get("endpoint") == "enter" and r.get("key") in keys
       and r.get("decoded", {}).get("plate") == "粤B12345"
       and r.get("files", {}).get("enter_image_file", {}).get("md5") == md5]
if len(set(keys)) != 2 or len(got) != 2:
    sys.exit(f"C# sample: the sandbox has {len(got)} of its enters {sorted(set(keys))} with plate and photo")
print(f"C# sample: the sandbox received its 2 enters with plate and photo ({', '.join(sorted(set(keys)))})")
PY
total_passed=$((total_passed + 2))

echo "== the kits' doc snippets and the VB6 sample (scripts/doc_snippets.py)"
python3 scripts/doc_snippets.py "$out/snippets" "$out/Pyun.Net.dll" "$lib" "$lib/pyun" "$url" | tee "$work/snippets.out"
line=$(tail -n 1 "$work/snippets.out")
[[ "$line" =~ ^doc-snippets:\ ([0-9]+)\ passed,\ 0\ failed$ ]] || { echo "doc snippets failed" >&2; exit 1; }
total_passed=$((total_passed + ${BASH_REMATCH[1]}))

# Pyun.pas (bindings-delphi/): Free Pascal in {$mode delphi} (AnsiString, GBK 936, as Delphi 7)
# and {$mode delphiunicode} (UnicodeString, UTF-8, as Delphi 2009+), linked to libpyun.so.
for mode in ansi unicode; do
  echo "== Pyun.pas tests (fpc, $mode strings, libpyun.so, the sandbox and the faulty sandbox)"
  define=
  [ "$mode" = unicode ] && define=-dPYUN_UNICODE
  mkdir -p "$out/delphi-$mode"
  fpc $define -O2 -Fu"$root/bindings-delphi" -Fl"$lib" -FU"$out/delphi-$mode" \
    -o"$out/test_pyun_delphi_$mode" bindings-delphi/tests/test_pyun.dpr >"$work/fpc-$mode.log" 2>&1 || {
    cat "$work/fpc-$mode.log" >&2
    echo "fpc failed to build the Pyun.pas tests ($mode)" >&2
    exit 1
  }
  # Beijing's zone: the test checks PyunEpochMs against page 001's enter_time.
  TZ=Asia/Shanghai "$out/test_pyun_delphi_$mode" "$url" "$faulty_url" "$root/examples/data" "$work" | tee "$work/delphi.out"
  line=$(tail -n 1 "$work/delphi.out")
  [[ "$line" =~ ^([0-9]+)\ passed,\ 0\ failed$ ]] || { echo "Pyun.pas tests failed ($mode)" >&2; exit 1; }
  total_passed=$((total_passed + ${BASH_REMATCH[1]}))
  # the Delphi sample project (scripts/windows.sh runs it for win32 / win64 under wine)
  fpc $define -O2 -Fu"$root/bindings-delphi" -Fl"$lib" -FU"$out/delphi-$mode" \
    -o"$out/lot_sample_delphi_$mode" samples/delphi/PyunLotSample.dpr >"$work/fpc-sample-$mode.log" 2>&1 || {
    cat "$work/fpc-sample-$mode.log" >&2
    echo "fpc failed to build samples/delphi/PyunLotSample.dpr ($mode)" >&2
    exit 1
  }
  mkdir -p "$work/lot-sample-$mode"
  "$out/lot_sample_delphi_$mode" "$url" "$root/examples/data" "$work/lot-sample-$mode" | tee "$work/lot-sample.out"
  grep -qx 'both enters accepted' "$work/lot-sample.out" || { echo "samples/delphi/PyunLotSample.dpr failed ($mode)" >&2; exit 1; }
  total_passed=$((total_passed + 1))
done

if [ -z "${PYUN_C_NO_VALGRIND:-}" ]; then
  delivery_records=200  # under valgrind: the same paths, fewer rounds
  callback_seconds=${PYUN_CALLBACK_VALGRIND_SECONDS:-5}
  run valgrind valgrind -q --error-exitcode=1 --leak-check=full --num-callers=64 \
    --suppressions="$root/tests/c/valgrind.supp"
fi

echo "test-c took $(($(date +%s) - started)) s"
echo "test-c: $total_passed passed, 0 failed"
