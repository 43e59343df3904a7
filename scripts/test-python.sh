#!/usr/bin/env bash
# Builds the Python package's wheel, installs it into a venv (with maturin, pytest, mypy, waitress and uvicorn from
# PyPI), checks the stubs against the built module, type-checks the package and examples, and
# runs the pytest suite against the installed wheel and a real sandbox process.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv
if [ ! -x "$venv/bin/python" ]; then
  if ! python3 -m venv "$venv" 2>/dev/null; then
    apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
    python3 -m venv "$venv"
  fi
fi
"$venv/bin/pip" install -q --disable-pip-version-check maturin pytest mypy waitress uvicorn gunicorn werkzeug

echo "-- the sandbox the tests start, and libpyun.so"
cargo build -q --release -p pyun-cli -p pyun-ffi  # the CLI and libpyun.so: the contract test compares their JSON

echo "-- the wheel, installed with pip"
"$venv/bin/pip" install -q --disable-pip-version-check --force-reinstall --no-deps ./bindings-python

echo "-- stubs against the built module, and strict typing"
(cd / && "$OLDPWD/$venv/bin/python" -m mypy.stubtest pyun._pyun)
"$venv/bin/python" -m mypy --strict bindings-python/python/pyun examples/python --exclude examples/python/frameworks

echo "-- pytest"
cd bindings-python/tests
PYUN_BIN="$OLDPWD/target/release/pyun" "$OLDPWD/$venv/bin/python" -m pytest -q -p no:cacheprovider .
