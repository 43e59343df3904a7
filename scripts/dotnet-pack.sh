#!/usr/bin/env bash
# Builds the Pyun.Net NuGet package from the Windows DLLs scripts/windows.sh staged, and checks
# its layout. A .nupkg is a zip (an OPC package): the nuspec at the root, [Content_Types].xml
# and _rels/.rels (NuGet 2.x, used by packages.config projects, finds the manifest through it).
#
#   bash scripts/dotnet-pack.sh STAGE_DIR      STAGE_DIR holds x86/pyun.dll and x64/pyun.dll
#                                              (target/windows/stage/pyun-<version>-windows)
# Writes target/Pyun.Net.<version>.nupkg; ends with "dotnet-pack: N passed, 0 failed".
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
STAGE=${1:?usage: dotnet-pack.sh STAGE_DIR}
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
for a in x86 x64; do
  [ -s "$STAGE/$a/pyun.dll" ] || { echo "dotnet-pack: $STAGE/$a/pyun.dll is missing" >&2; exit 1; }
done
command -v mcs >/dev/null && command -v zip >/dev/null && command -v unzip >/dev/null || {
  DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=600 \
    install --no-install-recommends mono-mcs zip unzip >/dev/null
}
PKG=$ROOT/target/dotnet/pkg
rm -rf "$PKG" && mkdir -p "$PKG/lib/net40" "$PKG/build/native/x86" "$PKG/build/native/x64" "$PKG/_rels"
# The managed assembly, with its XML documentation (IntelliSense).
mcs -langversion:4 -target:library -warnaserror -nowarn:1591 -nologo -optimize+ \
  -doc:"$PKG/lib/net40/Pyun.Net.xml" -out:"$PKG/lib/net40/Pyun.Net.dll" bindings-dotnet/src/*.cs
cp "$STAGE/x86/pyun.dll" "$PKG/build/native/x86/pyun.dll"
cp "$STAGE/x64/pyun.dll" "$PKG/build/native/x64/pyun.dll"
cp bindings-dotnet/build/Pyun.Net.targets "$PKG/build/Pyun.Net.targets"
# The nuspec as nuget pack writes it into a package: version filled in, no <files>.
sed -e "s/[$]version[$]/$VERSION/" -e '/<files>/,/<\/files>/d' bindings-dotnet/Pyun.Net.nuspec >"$PKG/Pyun.Net.nuspec"
cat >"$PKG/[Content_Types].xml" <<'XML'
<?xml version="1.0" encoding="utf-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml" /><Default Extension="nuspec" ContentType="application/octet" /><Default Extension="dll" ContentType="application/octet" /><Default Extension="xml" ContentType="application/octet" /><Default Extension="targets" ContentType="application/octet" /></Types>
XML
cat >"$PKG/_rels/.rels" <<'XML'
<?xml version="1.0" encoding="utf-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Type="http://schemas.microsoft.com/packaging/2010/07/manifest" Target="/Pyun.Net.nuspec" Id="R0" /></Relationships>
XML
NUPKG=$ROOT/target/Pyun.Net.$VERSION.nupkg
rm -f "$NUPKG"
(cd "$PKG" && zip -q -X -D -r "$NUPKG" "[Content_Types].xml" _rels Pyun.Net.nuspec lib build)

passed=0 failed=0
ok() { passed=$((passed + 1)); echo "dotnet-pack: ok   $*"; }
bad() { failed=$((failed + 1)); echo "dotnet-pack: FAIL $*"; }
listing=$(unzip -Z1 "$NUPKG")
echo "$listing" | sed 's/^/  /'
for f in "[Content_Types].xml" _rels/.rels Pyun.Net.nuspec lib/net40/Pyun.Net.dll lib/net40/Pyun.Net.xml \
         build/Pyun.Net.targets build/native/x86/pyun.dll build/native/x64/pyun.dll; do
  if printf '%s\n' "$listing" | grep -qxF "$f"; then ok "has $f"; else bad "missing $f"; fi
done
check=$(mktemp -d)
trap 'rm -rf "$check"' EXIT
unzip -q "$NUPKG" -d "$check"
for a in x86 x64; do
  if cmp -s "$check/build/native/$a/pyun.dll" "$STAGE/$a/pyun.dll"; then ok "$a/pyun.dll is the staged one"; else bad "$a/pyun.dll differs"; fi
done
# PE machine of each DLL: 0x14c i386 for x86, 0x8664 for x64 (the loader picks by IntPtr.Size).
machine() { od -An -tx2 -j $(($(od -An -tu4 -j 60 -N4 "$1") + 4)) -N2 "$1" | tr -d ' '; }
[ "$(machine "$check/build/native/x86/pyun.dll")" = 014c ] && ok "x86/pyun.dll is i386" || bad "x86/pyun.dll is not i386"
[ "$(machine "$check/build/native/x64/pyun.dll")" = 8664 ] && ok "x64/pyun.dll is x86-64" || bad "x64/pyun.dll is not x86-64"
grep -q "<version>$VERSION</version>" "$check/Pyun.Net.nuspec" && ! grep -q '<files>' "$check/Pyun.Net.nuspec" \
  && ok "nuspec: version $VERSION" || bad "nuspec version"
grep -q '<license type="expression">MIT OR Apache-2.0</license>' "$check/Pyun.Net.nuspec" \
  && ok "nuspec: licence MIT OR Apache-2.0" || bad "nuspec licence"
grep -q 'native\\x86\\pyun.dll' "$check/build/Pyun.Net.targets" && grep -q '<Link>x64\\pyun.dll</Link>' "$check/build/Pyun.Net.targets" \
  && ok "targets copy x86\\ and x64\\" || bad "targets"
# The assembly is a .NET 4 library named Pyun.Net (never pyun.dll: that is the native one).
if command -v monodis >/dev/null; then
  monodis --assembly "$check/lib/net40/Pyun.Net.dll" | grep -q 'Name:.*Pyun.Net' && ok "assembly name Pyun.Net" || bad "assembly name"
fi
echo "dotnet-pack: $NUPKG ($(du -h "$NUPKG" | cut -f1))"
echo "dotnet-pack: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
