"""The receiver handles each push once: copies racing in one process, worker processes sharing a
`PushStore` under gunicorn, chunked bodies under gunicorn / werkzeug / waitress, a JSON field
given twice, and bounded logs and answers."""
from __future__ import annotations

import http.client
import json
import logging
import pathlib
import re
import subprocess
import sys
import threading
import time
import urllib.parse
from typing import Any, Dict, Iterator, List, Tuple

import pytest

import pyun
import pyun.receiver
from conftest import ON_WINDOWS, PYUN_BIN

SECRET = "once-secret"


def signed(**fields: str) -> Dict[str, str]:
    return dict(pyun.sign_push(fields, SECRET, "op1"))


def form(fields: Dict[str, str]) -> bytes:
    return urllib.parse.urlencode(fields).encode()


def post(host: str, port: int, body: bytes, chunked: bool = False) -> Tuple[int, str]:
    conn = http.client.HTTPConnection(host, port, timeout=30)
    try:
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if chunked:
            # An iterable body with encode_chunked: Transfer-Encoding: chunked, no Content-Length.
            conn.request("POST", "/notify", body=iter([body[:10], body[10:]]), headers=headers, encode_chunked=True)
        else:
            conn.request("POST", "/notify", body=body, headers=headers)
        r = conn.getresponse()
        return r.status, r.read().decode()
    finally:
        conn.close()


def post_until_acked(host: str, port: int, body: bytes) -> None:
    deadline = time.monotonic() + 30
    while True:
        answer = post(host, port, body)
        if answer == (200, pyun.ACK_BODY):
            return
        assert answer[0] == 503, answer
        assert time.monotonic() < deadline, "never acknowledged"
        time.sleep(0.01)


def test_copies_racing_in_one_process_run_the_handler_once() -> None:
    runs: List[str] = []
    lock = threading.Lock()

    def handle(push: pyun.ReceivedPush) -> None:
        with lock:
            runs.append(push.key)

    receiver = pyun.receiver.Receiver(SECRET)
    bodies = [form(signed(pay_serial=f"R{i}")) for i in range(30)]

    def copy(body: bytes) -> None:
        deadline = time.monotonic() + 30
        while receiver.respond(None, body, handle) != (200, pyun.ACK_BODY):
            assert time.monotonic() < deadline

    threads = [threading.Thread(target=copy, args=(b,)) for b in bodies for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(runs) == sorted(f"R{i}" for i in range(30))


def test_a_json_field_given_twice_is_refused() -> None:
    fields = signed(pay_serial="J1", pay_value="100")
    body = json.dumps(fields)[:-1] + ', "pay_value": "1"}'
    with pytest.raises(pyun.ValidationError, match="`pay_value` appears twice"):
        pyun.verify_request("application/json", body.encode(), SECRET)


def test_logs_and_answers_are_bounded(caplog: pytest.LogCaptureFixture) -> None:
    fields = signed(pay_serial="K" * 300_000, remark="x" * 500_000)
    fields["sign"] = "0" * 32
    receiver = pyun.receiver.Receiver(SECRET, max_body=4 << 20)
    with caplog.at_level(logging.DEBUG, logger="pyun.receiver"):
        status, text = receiver.respond(None, form(fields), lambda p: None)
    assert status == 401
    assert len(text) < 4096, len(text)
    assert caplog.records and all(len(r.getMessage()) < 4096 for r in caplog.records)


def _app_module(tmp: pathlib.Path, dedup: str) -> pathlib.Path:
    """A WSGI app module for a server process: its handler records each run (one line, written
    with O_APPEND) and takes a moment, so copies overlap."""
    (tmp / "once_app.py").write_text(
        "import os, time\n"
        "import pyun.receiver\n"
        f"RUNS = {str(tmp / 'runs')!r}\n"
        "def handle(push):\n"
        "    time.sleep(0.2)\n"
        "    fd = os.open(RUNS, os.O_WRONLY | os.O_APPEND | os.O_CREAT)\n"
        "    os.write(fd, (push.key + '\\n').encode())\n"
        "    os.close(fd)\n"
        f"app = pyun.receiver.wsgi_app(handle, {SECRET!r}, dedup={dedup})\n"
    )
    return tmp


def _runs(tmp: pathlib.Path) -> List[str]:
    path = tmp / "runs"
    return path.read_text().split() if path.exists() else []


def _gunicorn(tmp: pathlib.Path, workers: int) -> Iterator[int]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", "127.0.0.1:0", "--chdir", str(tmp),
         "once_app:app"],
        stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        port = 0
        booted = 0
        deadline = time.monotonic() + 60
        # "Listening at: http://127.0.0.1:PORT", then one "Booting worker" per worker.
        while booted < workers:
            assert time.monotonic() < deadline, "gunicorn did not start"
            line = proc.stderr.readline()
            assert line, "gunicorn ended"
            found = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", line)
            if found:
                port = int(found.group(1))
            booted += "Booting worker" in line
        threading.Thread(target=proc.stderr.read, daemon=True).start()
        yield port
    finally:
        proc.terminate()
        proc.wait(30)


@pytest.fixture
def gunicorn_two_workers(tmp_path: pathlib.Path) -> Iterator[Tuple[pathlib.Path, int]]:
    _app_module(tmp_path, repr(str(tmp_path / "pushes.db")))
    for port in _gunicorn(tmp_path, 2):
        yield tmp_path, port


@pytest.mark.skipif(ON_WINDOWS, reason="gunicorn does not run on Windows")
def test_worker_processes_sharing_a_push_store_handle_once(gunicorn_two_workers: Tuple[pathlib.Path, int]) -> None:
    tmp, port = gunicorn_two_workers
    bodies = [form(signed(pay_serial=f"G{i}")) for i in range(5)]
    threads = [threading.Thread(target=post_until_acked, args=("127.0.0.1", port, b))
               for b in bodies for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(_runs(tmp)) == sorted(f"G{i}" for i in range(5))
    # `pyun pushes` reads the store the workers wrote.
    out = subprocess.run([str(PYUN_BIN), "pushes", "--db", str(tmp / "pushes.db"), "list",
                          "--json"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    stored = json.loads(out.stdout)
    assert len(stored) == 5 and all(r["handled_at"] for r in stored)
    assert sum(r["deliveries"] for r in stored) >= 60


@pytest.fixture(params=[pytest.param("gunicorn", marks=pytest.mark.skipif(ON_WINDOWS, reason="gunicorn does not run on Windows")),
                        "werkzeug", "waitress"])
def wsgi_server(request: Any, tmp_path: pathlib.Path) -> Iterator[Tuple[pathlib.Path, int]]:
    if request.param == "gunicorn":
        _app_module(tmp_path, "None")
        for port in _gunicorn(tmp_path, 1):
            yield tmp_path, port
        return
    runs = tmp_path / "runs"

    def handle(push: pyun.ReceivedPush) -> None:
        with open(runs, "a") as f:
            f.write(push.key + "\n")

    app = pyun.receiver.wsgi_app(handle, SECRET)
    if request.param == "werkzeug":
        from werkzeug.serving import make_server

        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield tmp_path, server.server_port
        server.shutdown()
        thread.join(10)
    else:
        import waitress.server

        wserver = waitress.server.create_server(app, host="127.0.0.1", port=0)
        wthread = threading.Thread(target=wserver.run, daemon=True)
        wthread.start()
        yield tmp_path, int(wserver.effective_port)
        wserver.trigger.pull_trigger(lambda: waitress.wasyncore.close_all(wserver._map))
        wthread.join(10)
        wserver.task_dispatcher.shutdown()


def test_chunked_bodies_are_read(wsgi_server: Tuple[pathlib.Path, int]) -> None:
    tmp, port = wsgi_server
    assert post("127.0.0.1", port, form(signed(parking_serial="C1")), chunked=True) == (200, pyun.ACK_BODY)
    big = form(signed(parking_serial="C2", remark="x" * (2 << 20)))
    status, text = post("127.0.0.1", port, big, chunked=True)
    assert status == 413, (status, text)
    assert _runs(tmp) == ["C1"]
