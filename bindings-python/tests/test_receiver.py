"""Receiving pushes: parse_request / verify_request, and the WSGI and ASGI adapters under real
servers from PyPI (waitress, uvicorn) and the standard library's wsgiref over real HTTP."""
from __future__ import annotations

import json
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Callable, Dict, Iterator, List, Tuple

import pytest

import pyun
import pyun.receiver
from conftest import PYUN_BIN, REPO, needs_cli

SECRET = "receiver-secret"


def signed(**fields: str) -> Dict[str, str]:
    return dict(pyun.sign_push(fields, SECRET, "op1"))


def encode(fields: Dict[str, str], encoding: str) -> Tuple[str, bytes]:
    if encoding == "form":
        return "application/x-www-form-urlencoded; charset=UTF-8", urllib.parse.urlencode(fields).encode()
    if encoding == "json":
        return "application/json", json.dumps(fields, ensure_ascii=False).encode()
    parts = [f'--BND\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in fields.items()]
    return "multipart/form-data; boundary=BND", ("".join(parts) + "--BND--\r\n").encode()


def post(url: str, fields: Dict[str, str], encoding: str) -> Tuple[int, str]:
    ct, body = encode(fields, encoding)
    req = urllib.request.Request(url, data=body, headers={"Content-Type": ct})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def acked(answer: Tuple[int, str]) -> bool:
    return answer == (200, pyun.ACK_BODY)


def test_parse_request_every_encoding_and_sniffing() -> None:
    fields = {"a": "中 x&y=z", "b": ""}
    for enc in ("form", "json", "multipart"):
        ct, body = encode(fields, enc)
        assert pyun.parse_request(ct, body) == fields
        assert pyun.parse_request(None, body) == fields  # sniffed
    assert pyun.parse_request("application/x-www-form-urlencoded; charset=GBK", b"a=%D6%D0") == {"a": "中"}
    with pytest.raises(pyun.ValidationError, match="`discounts`.*must be a string"):
        pyun.parse_request("application/json", b'{"discounts": []}')
    with pytest.raises(pyun.ValidationError, match="text/xml"):
        pyun.parse_request("text/xml", b"<push/>")


def test_a_push_without_sign_says_so() -> None:
    with pytest.raises(pyun.SignatureError, match="no `sign`"):
        pyun.verify_or_raise({"a": "1"}, SECRET)
    with pytest.raises(pyun.SignatureError, match="no `sign`"):
        pyun.verify_request(None, b"a=1", SECRET)
    with pytest.raises(pyun.SignatureError) as wrong:
        pyun.verify_or_raise({"a": "1", "sign": "00"}, SECRET)
    assert "no `sign`" not in str(wrong.value)


class Handler:
    def __init__(self) -> None:
        self.pushes: List[pyun.ReceivedPush] = []
        self.crash = False

    def __call__(self, push: pyun.ReceivedPush) -> None:
        if self.crash:
            raise RuntimeError("database down")
        self.pushes.append(push)


@pytest.fixture(params=["waitress", "uvicorn", "wsgiref"])
def served(request: Any) -> Iterator[Tuple[str, Handler]]:
    handler = Handler()
    if request.param == "wsgiref":  # what a script without dependencies has (Windows included)
        from wsgiref.simple_server import make_server

        wsgiref_server = make_server("127.0.0.1", 0, pyun.receiver.wsgi_app(handler, SECRET))
        wsgiref_thread = threading.Thread(target=wsgiref_server.serve_forever, daemon=True)
        wsgiref_thread.start()
        yield f"http://127.0.0.1:{wsgiref_server.server_port}/notify", handler
        wsgiref_server.shutdown()
        wsgiref_thread.join(10)
        wsgiref_server.server_close()
    elif request.param == "waitress":
        import waitress.server

        server = waitress.server.create_server(pyun.receiver.wsgi_app(handler, SECRET), host="127.0.0.1", port=0)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{server.effective_port}/notify", handler
        # Closed from the server's own loop (a close from this thread races its select: EBADF);
        # with every channel closed the loop ends.
        server.trigger.pull_trigger(lambda: waitress.wasyncore.close_all(server._map))
        thread.join(10)
        assert not thread.is_alive(), "waitress did not stop"
        server.task_dispatcher.shutdown()
    else:
        import uvicorn

        # A listening socket of our own, handed to uvicorn: no port is freed for another test to
        # take before uvicorn binds it.
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        config = uvicorn.Config(pyun.receiver.asgi_app(handler, SECRET), log_level="warning")
        userver = uvicorn.Server(config)
        thread = threading.Thread(target=userver.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not userver.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}/notify", handler
        userver.should_exit = True
        thread.join(10)
        sock.close()


def test_every_encoding_once_each(served: Tuple[str, Handler]) -> None:
    url, handler = served
    for i, enc in enumerate(("form", "multipart", "json")):
        push = signed(pay_serial=f"PAY{i}", plate="川A660P1", car_desc="", new_platform_field="x")
        assert acked(post(url, push, enc)), enc
        assert acked(post(url, push, "json" if enc == "form" else "form"))  # the resend
    assert [(p.kind, p.key, p.encoding) for p in handler.pushes] == [
        ("payment", "PAY0", "form"), ("payment", "PAY1", "multipart"), ("payment", "PAY2", "json")]
    assert handler.pushes[0].fields["car_desc"] == "" and handler.pushes[0].fields["new_platform_field"] == "x"


def test_bad_pushes_are_not_acked(served: Tuple[str, Handler]) -> None:
    url, handler = served
    wrong = dict(pyun.sign_push({"parking_serial": "L1"}, "other-secret", "op1"))
    assert post(url, wrong, "form")[0] == 401
    tampered = signed(parking_serial="L2", total_value="100")
    tampered["total_value"] = "1"
    assert post(url, tampered, "json")[0] == 401
    unsigned = {k: v for k, v in tampered.items() if k != "sign"}
    status, body = post(url, unsigned, "multipart")
    assert status == 400 and "no `sign`" in body
    assert SECRET not in body
    assert handler.pushes == []


def test_handler_crash_then_resend(served: Tuple[str, Handler]) -> None:
    url, handler = served
    push = signed(parking_serial="L9")
    handler.crash = True
    status, body = post(url, push, "form")
    assert status == 500 and "1001" not in body
    handler.crash = False
    assert acked(post(url, push, "form"))
    assert acked(post(url, push, "form"))
    assert [p.key for p in handler.pushes] == ["L9"]


@needs_cli
def test_send_push_in_each_encoding_to_the_wsgi_app(served: Tuple[str, Handler]) -> None:
    url, handler = served
    for enc in ("form", "multipart", "json"):
        out = subprocess.run([str(PYUN_BIN), "send-push", "payment", "--to", url, "--app-secret", SECRET,
                              "--encoding", enc], capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stdout + out.stderr
    assert len(handler.pushes) == 1  # the same sample push three times


def test_framework_examples() -> None:
    import importlib.util
    import os
    import sys

    os.environ["PYUN_APP_SECRET"] = SECRET
    sys.path.insert(0, str(REPO / "examples" / "python" / "frameworks"))
    try:
        if importlib.util.find_spec("flask") is not None:
            import flask_receiver

            client = flask_receiver.app.test_client()
            ct, body = encode(signed(pay_serial="F1"), "multipart")
            r = client.post("/notify", data=body, content_type=ct)
            assert r.status_code == 200 and r.get_data(as_text=True) == pyun.ACK_BODY
            assert flask_receiver.received[0]["key"] == "F1"
        if importlib.util.find_spec("fastapi") is not None and importlib.util.find_spec("httpx") is not None:
            from fastapi.testclient import TestClient

            import fastapi_receiver

            ct, body = encode(signed(pay_serial="A1"), "json")
            r = TestClient(fastapi_receiver.app).post("/notify", content=body, headers={"Content-Type": ct})
            assert r.status_code == 200 and r.text == pyun.ACK_BODY
            assert fastapi_receiver.received[0]["key"] == "A1"
    finally:
        sys.path.pop(0)
