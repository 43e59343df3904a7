"""The examples in examples/python run as a user would run them."""
from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

import pytest

import pyun
from conftest import PYUN_BIN, REPO, SECRET, Sandbox, needs_cli

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


@needs_cli
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


def test_receiver_always_answers_a_verified_push() -> None:
    # discounts="null" is an empty list; a list that cannot be read is a handler error,
    # logged and answered with a non-ack status (the platform sends it again), never silence.
    receiver = subprocess.Popen(
        [sys.executable, str(EXAMPLES / "receiver.py"), "--port", "0", "--max-pushes", "1"],
        env={**os.environ, "PYUN_APP_SECRET": SECRET}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert receiver.stdout is not None and receiver.stderr is not None
        url = receiver.stdout.readline().split()[-1]

        def post(discounts: str) -> urllib.request.Request:
            fields = pyun.sign_push({"pay_serial": f"PAY-{len(discounts)}", "discounts": discounts}, SECRET, "app")
            body = urllib.parse.urlencode(fields).encode()
            return urllib.request.Request(url, data=body)

        with pytest.raises(urllib.error.HTTPError) as failed:
            urllib.request.urlopen(post("[{broken"), timeout=10)
        assert failed.value.code == 500
        assert b"1001" not in failed.value.read()
        with urllib.request.urlopen(post("null"), timeout=10) as acked:
            assert acked.status == 200 and b"1001" in acked.read()
        assert receiver.wait(timeout=20) == 0
        assert "payment push PAY-4" in receiver.stdout.read()
        assert "discounts" in receiver.stderr.read()
    finally:
        receiver.kill()
