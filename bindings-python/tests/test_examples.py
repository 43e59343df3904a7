"""The examples in examples/python run as a user would run them."""
from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

import pyun
from conftest import PYUN_BIN, REPO, SECRET, Sandbox

EXAMPLES = REPO / "examples" / "python"


def test_push_records_example(sandbox: Sandbox) -> None:
    env = {**os.environ, "PYUN_APP_SECRET": SECRET}
    out = subprocess.run([sys.executable, str(EXAMPLES / "push_records.py"), "--base-url", sandbox.url],
                         env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("accepted") == 4
    assert SECRET not in out.stdout + out.stderr
    assert sorted(r["endpoint"] for r in sandbox.records()) == ["enter", "leave", "release", "update"]


def test_push_records_example_reports_a_wrong_secret(sandbox: Sandbox) -> None:
    env = {**os.environ, "PYUN_APP_SECRET": "wrong-secret"}
    out = subprocess.run([sys.executable, str(EXAMPLES / "push_records.py"), "--base-url", sandbox.url],
                         env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 1
    assert "diagnosis:" in out.stderr and "wrong-secret" not in out.stderr


@pytest.mark.parametrize("kind", ["leave", "payment"])
def test_receiver_verifies_the_sandbox_pushes(kind: str) -> None:
    receiver = subprocess.Popen(
        [sys.executable, str(EXAMPLES / "receiver.py"), "--port", "0", "--max-pushes", "1"],
        env={**os.environ, "PYUN_APP_SECRET": SECRET}, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert receiver.stdout is not None
        url = receiver.stdout.readline().split()[-1]
        forged = pyun.sign_push({"parking_serial": "X"}, "not-the-secret", "app")
        body = "&".join(f"{k}={v}" for k, v in forged.items()).encode()
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(urllib.request.Request(url, data=body), timeout=10)
        assert refused.value.code == 401
        sent = subprocess.run([str(PYUN_BIN), "send-push", kind, "--to", url, "--app-secret", SECRET],
                              capture_output=True, text=True, timeout=60)
        assert sent.returncode == 0, sent.stderr
        assert receiver.wait(timeout=20) == 0
        assert f"{kind} push" in receiver.stdout.read()
    finally:
        receiver.kill()
