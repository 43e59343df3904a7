#!/usr/bin/env bash
# The Python package as users install it: builds the sdist and the manylinux abi3 wheel, installs
# the wheel into a fresh venv whose PATH has no cargo or rustc, checks the stubs against the
# built module, type-checks the package and examples, and runs the pytest suite against the
# installed wheel and a real sandbox process (scripts/wheels.sh linux; the Windows wheel is
# scripts/wheels.sh windows, run by scripts/test.sh after scripts/windows.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/wheels.sh linux
