# Sourced by scripts/wheels.sh: Debian's current Rust (rustc-web, cargo-web and the std sources
# from bookworm-security), unpacked into target/windows/toolchain/<version>, the prefix and
# layout scripts/windows.sh uses, so whichever script runs first unpacks it and the other
# reuses it. rustc-web conflicts with Debian's rustc package: a private prefix leaves the
# machine's own toolchain alone.

# rust_web_toolchain ROOT MIN_MINOR: sets RUST_WEB_PREFIX (its usr/bin holds rustc and cargo) and
# prepends its libraries to LD_LIBRARY_PATH; returns 1 with a message when apt offers none
# new enough.
rust_web_toolchain() {
  local root=$1 min_minor=$2 deb minor prefix std_pkg llvm_pkg f
  [ -n "$(apt-cache policy rustc-web 2>/dev/null | sed -n 's/^ *Candidate: //p')" ] \
    || apt-get -q -o DPkg::Lock::Timeout=600 update >/dev/null
  deb=$(apt-cache policy rustc-web | sed -n 's/^ *Candidate: //p')
  if [ -z "$deb" ] || [ "$deb" = "(none)" ]; then
    echo "apt offers no rustc-web (is bookworm-security in the sources?)" >&2
    return 1
  fi
  minor=$(echo "$deb" | sed -n 's/^1\.\([0-9]*\)\..*/\1/p')
  if [ -z "$minor" ] || [ "$minor" -lt "$min_minor" ]; then
    echo "rustc-web $deb is older than 1.$min_minor" >&2
    return 1
  fi
  prefix=$root/target/windows/toolchain/$deb
  if [ ! -f "$prefix/.complete" ]; then
    echo "unpacking rustc-web $deb into $prefix"
    rm -rf "$prefix" && mkdir -p "$prefix/debs"
    std_pkg=$(apt-cache show "libstd-rust-web-dev=$deb" | sed -n 's/^Depends: .*\(libstd-rust-web-1\.[0-9]*\).*/\1/p' | head -n1)
    llvm_pkg=$(apt-cache show "$std_pkg=$deb" | sed -n 's/^Depends: .*\(libllvm[0-9]*\).*/\1/p' | head -n1)
    if [ -z "$std_pkg" ] || [ -z "$llvm_pkg" ]; then
      echo "cannot tell the std / LLVM packages of rustc-web $deb" >&2
      return 1
    fi
    (cd "$prefix/debs" && apt-get -q -o APT::Sandbox::User=root download "rustc-web=$deb" "cargo-web=$deb" \
      "rust-web-src=$deb" "libstd-rust-web-dev=$deb" "$std_pkg=$deb" "$llvm_pkg" >/dev/null) || return 1
    for f in "$prefix"/debs/*.deb; do dpkg-deb -x "$f" "$prefix"; done
    (cd "$prefix/debs" && ls) > "$prefix/packages.txt"
    rm -rf "$prefix/debs"
    touch "$prefix/.complete"
  fi
  RUST_WEB_PREFIX=$prefix
  export LD_LIBRARY_PATH="$prefix/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
}
