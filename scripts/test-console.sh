#!/usr/bin/env bash
# `pyun console` in a real browser: Debian's chromium, headless, driven by selenium (PyPI, in
# a venv) through Debian's chromium-driver, against a console on an outbox fed through a
# faulty sandbox (tests/console/browser_test.py). Installs what is missing. The screenshot is
# target/console/console.png.
set -euo pipefail
# The page and the CLI's first lines are checked in English.
export PYUN_LANG=en
cd "$(dirname "$0")/.."
ROOT=$PWD
# fonts-wqy-zenhei: a CJK font, so the Chinese page's screenshot shows characters, not boxes.
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null \
  || ! dpkg -s fonts-wqy-zenhei >/dev/null 2>&1; then
  apt-get -q -o DPkg::Lock::Timeout=600 update >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=600 \
    install --no-install-recommends chromium chromium-driver fonts-wqy-zenhei >/dev/null
fi
VENV=$ROOT/target/console/venv
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV" 2>/dev/null || {
    DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=600 install python3-venv >/dev/null
    python3 -m venv "$VENV"
  }
fi
"$VENV/bin/pip" install -q --disable-pip-version-check --no-input "selenium>=4.10,<5"
cargo build -q -p pyun-cli
PYUN_BIN=$ROOT/target/debug/pyun OUT=$ROOT/target/console "$VENV/bin/python" tests/console/browser_test.py
