"""Fixtures: a real sandbox process (the `pyun` binary) on a free loopback port."""
from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import urllib.request
from typing import Any, Dict, Iterator, List

import pytest

import pyun

# The suite tests the installed wheel, never the source tree.
assert "site-packages" in pyun.__file__, f"pyun imported from {pyun.__file__}, not from an installed wheel"

REPO = pathlib.Path(__file__).resolve().parents[2]
DATA = REPO / "examples" / "data"
SECRET = "py-sandbox-secret"
PYUN_BIN = pathlib.Path(os.environ.get("PYUN_BIN", REPO / "target" / "release" / "pyun"))

# The Windows wheel is tested under wine (scripts/wheels.sh), where the `pyun` CLI of this
# machine is a Linux program that cannot run: the sandbox runs on the Linux side, reached over
# loopback at PYUN_SANDBOX_URL, and the tests that run the CLI themselves are skipped.
ON_WINDOWS = sys.platform == "win32"
SANDBOX_URL = os.environ.get("PYUN_SANDBOX_URL")
needs_cli = pytest.mark.skipif(ON_WINDOWS, reason="runs the `pyun` CLI, a Linux program here (Windows is tested under wine)")


class Sandbox:
    def __init__(self, url: str) -> None:
        self.url = url

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())

    def records(self) -> List[Dict[str, Any]]:
        return self._call("GET", "/_sandbox/records")

    def counters(self) -> Dict[str, int]:
        return self._call("GET", "/_sandbox/counters")

    def faults(self, **faults: Any) -> None:
        self._call("POST", "/_sandbox/faults", faults)

    def reset(self) -> None:
        self._call("POST", "/_sandbox/reset", {})
        self.faults()


@pytest.fixture(scope="session")
def sandbox_process() -> Iterator[Sandbox]:
    if SANDBOX_URL:  # started by the caller (scripts/wheels.sh), with SECRET
        yield Sandbox(SANDBOX_URL.rstrip("/"))
        return
    if ON_WINDOWS:
        pytest.fail("under Windows the sandbox runs on the Linux side: set PYUN_SANDBOX_URL")
    if not PYUN_BIN.exists():
        pytest.fail(f"{PYUN_BIN} is missing: run `cargo build --release -p pyun-cli` or set PYUN_BIN")
    proc = subprocess.Popen(
        [str(PYUN_BIN), "sandbox", "--port", "0", "--app-secret", SECRET],
        stdout=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()  # "pyun sandbox listening on http://127.0.0.1:PORT"
    if "listening on" not in first:
        proc.kill()
        pytest.fail(f"the sandbox did not start: {first!r}")
    try:
        yield Sandbox(first.rsplit(" ", 1)[1].strip())
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def sandbox(sandbox_process: Sandbox) -> Sandbox:
    """The shared sandbox, emptied and without faults."""
    sandbox_process.reset()
    return sandbox_process


def load(name: str) -> Dict[str, Any]:
    return json.loads((DATA / name).read_text(encoding="utf-8"))
