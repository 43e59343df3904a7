"""The Client against a real sandbox process over loopback HTTP."""
from __future__ import annotations

import logging
import pathlib
import threading
import time
import types
from typing import Dict, List

import pytest

import pyun
from conftest import DATA, SECRET, Sandbox, load


def client(sandbox: Sandbox, **kw: object) -> pyun.Client:
    options: Dict[str, object] = dict(app_secret=SECRET, retries=3, backoff=0.01, timeout=5.0)
    options.update(kw)
    return pyun.Client(base_url=sandbox.url, **options)  # type: ignore[arg-type]


def test_four_endpoints_with_photos_are_accepted(sandbox: Sandbox) -> None:
    c = client(sandbox, strict=True)
    enter_gif = (DATA / "enter.gif").read_bytes()
    results = [
        c.push_enter(load("enter.json"), files={"enter_image_file": enter_gif}),
        c.push_leave(pyun.LeaveRecord(**load("leave.json")), files={"leave_image_file": DATA / "leave.bmp"}),
        c.push_release(load("release.json")),
        c.push_update(pyun.UpdateRecord(**load("update.json"))),
    ]
    assert [r.outcome for r in results] == ["accepted"] * 4
    assert all(r.accepted and r.seqno and r.attempts == 1 and r.elapsed_ms >= 0 for r in results)
    assert [r.code for r in results] == ["200", "200", "1001", "1001"]
    assert all(r.canonical.endswith("&app_secret=***") and SECRET not in r.canonical for r in results)
    stored = {r["endpoint"]: r for r in sandbox.records()}
    assert set(stored) == {"enter", "leave", "release", "update"}
    assert stored["enter"]["files"]["enter_image_file"]["len"] == len(enter_gif)
    assert stored["leave"]["files"]["leave_image_file"]["len"] == (DATA / "leave.bmp").stat().st_size
    assert stored["leave"]["fields"]["sign"] == results[1].sign


def test_url_mode_is_accepted_and_decodes_back(sandbox: Sandbox) -> None:
    r = client(sandbox, url_encoding=True, strict=True).push_enter(load("enter.json"))
    assert r.accepted
    (stored,) = sandbox.records()
    assert stored["fields"]["encoding"] == "URL" and stored["decoded"]["plate"] == "粤B12345"


def test_wrong_secret_is_ignored_with_a_diagnosis(sandbox: Sandbox) -> None:
    r = client(sandbox, app_secret="not-the-secret").push_enter(load("enter.json"))
    assert r.outcome == "ignored" and not r.accepted and r.hint
    assert r.diagnosis is not None and r.diagnosis.cause == "wrong_secret"
    assert "not-the-secret" not in repr(r)
    with pytest.raises(pyun.ApiError) as strict:
        client(sandbox, app_secret="not-the-secret", strict=True).push_enter(load("enter.json"))
    e = strict.value
    assert e.outcome == "ignored" and e.code == "200" and e.seqno and e.hint
    assert e.diagnosis is not None and e.diagnosis.cause == "wrong_secret"
    assert "not-the-secret" not in str(e) and "not-the-secret" not in (e.hint or "")
    assert sandbox.records() == []


def test_signature_rejected_on_release_is_an_api_error(sandbox: Sandbox) -> None:
    with pytest.raises(pyun.ApiError) as info:
        client(sandbox, app_secret="wrong").push_release(load("release.json"))
    e = info.value
    assert e.code == "401" and e.outcome == "signature_rejected" and e.attempts == 1
    assert e.diagnosis is not None and e.diagnosis.cause == "wrong_secret"


def test_missing_field_fails_before_anything_is_sent(sandbox: Sandbox) -> None:
    record = load("leave.json")
    del record["leave_time"]
    with pytest.raises(pyun.ValidationError, match="leave_time"):
        client(sandbox).push_leave(record)
    with pytest.raises(pyun.FileError):
        client(sandbox).push_enter(load("enter.json"), files={"enter_image_file": DATA / "missing.jpg"})
    assert sandbox.counters()["requests"] == 0


def test_503s_and_dropped_connections_are_retried_and_stored_once(sandbox: Sandbox) -> None:
    sandbox.faults(fail_first=2)
    r = client(sandbox).push_enter(load("enter.json"))
    assert r.accepted and r.attempts == 3
    sandbox.faults(drop_first=1, drop_after_store=True)  # stored, then the answer was lost
    r = client(sandbox).push_leave(load("leave.json"))
    assert r.accepted and r.attempts == 2
    assert sorted(x["endpoint"] for x in sandbox.records()) == ["enter", "leave"]
    assert sandbox.counters()["duplicates"] == 1


def test_persistent_server_errors_and_no_server_are_transport_or_api_errors(sandbox: Sandbox) -> None:
    sandbox.faults(fail_first=10)
    with pytest.raises(pyun.ApiError) as info:
        client(sandbox, retries=1).push_enter(load("enter.json"))
    assert info.value.outcome == "server_error" and info.value.attempts == 2
    with pytest.raises(pyun.TransportError) as down:
        pyun.Client(SECRET, base_url="http://127.0.0.1:9", retries=1, backoff=0.01).push_enter(load("enter.json"))
    assert down.value.retryable and down.value.attempts == 2


def test_timeout_is_honoured(sandbox: Sandbox) -> None:
    sandbox.faults(latency_ms=3000)
    started = time.monotonic()
    with pytest.raises(pyun.TransportError) as info:
        client(sandbox, timeout=0.3, retries=0).push_enter(load("enter.json"))
    assert info.value.kind == "timeout"
    assert time.monotonic() - started < 2.5


def test_bad_configuration_is_a_config_error() -> None:
    for kwargs in ({"timeout": 0}, {"timeout": float("nan")}, {"retries": -1}, {"base_url": "ftp://x"}):
        with pytest.raises(pyun.ConfigError):
            pyun.Client("s", **kwargs)  # type: ignore[arg-type]
    with pytest.raises(pyun.ConfigError):
        pyun.Client("")
    assert "***" in repr(pyun.Client("top-secret")) and "top-secret" not in repr(pyun.Client("top-secret"))
    gateway = repr(pyun.Client("s", base_url="http://gw:hunter2@127.0.0.1:9"))
    assert "hunter2" not in gateway and "http://***@127.0.0.1:9" in gateway


def test_eight_threads_share_one_client(sandbox: Sandbox) -> None:
    c = client(sandbox, strict=True)
    errors: List[BaseException] = []

    def work(t: int) -> None:
        try:
            for i in range(10):
                c.push_enter({**load("enter.json"), "parking_serial": f"T{t}-{i}"})
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len({r["key"] for r in sandbox.records()}) == 80


def test_the_gil_is_released_while_waiting_on_the_network(sandbox: Sandbox) -> None:
    sandbox.faults(latency_ms=800)
    ticks = 0
    done = threading.Event()

    def push() -> None:
        client(sandbox).push_enter(load("enter.json"))
        done.set()

    pusher = threading.Thread(target=push)
    pusher.start()
    while not done.is_set():  # pure Python work: it only advances while the push lets go
        ticks += 1
        time.sleep(0.001)
    pusher.join()
    assert ticks > 50


def test_logs_reach_the_pyun_logger_without_the_secret(sandbox: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    sandbox.faults(fail_first=1)
    with caplog.at_level(logging.DEBUG, logger="pyun"):
        client(sandbox).push_enter(load("enter.json"))
    mine = [r for r in caplog.records if r.name.startswith("pyun.")]
    assert mine, "no log record under the pyun logger"
    assert all(SECRET not in r.getMessage() for r in caplog.records)


def test_a_dict_record_reads_as_its_json_text_would(sandbox: Sandbox) -> None:
    """A dict of plain values is read natively, anything else through its JSON text: the same
    record signs alike either way, and a value JSON cannot carry is refused either way."""
    rec = dict(load("leave.json"), parking_serial="DICT-1")
    c = client(sandbox)
    paths = [
        rec,  # plain: read natively
        dict(rec, payment_list=tuple(rec["payment_list"])),  # a tuple is plain too
        types.MappingProxyType(rec),  # not a dict: JSON text
        dict(rec, plate_color=pyun.PlateColor(rec["plate_color"])),  # an IntEnum: JSON text
        dict(rec, payment_list=[pyun.Payment(**p) for p in rec["payment_list"]]),  # dataclasses: JSON text
    ]
    results = [c.push_leave(r) for r in paths]
    assert all(r.accepted for r in results)
    assert len({(r.canonical, r.sign) for r in results}) == 1
    for bad in (dict(rec, total_value=float("nan")), dict(rec, total_value=object())):
        with pytest.raises((pyun.PyunError, TypeError)) as plain:
            c.push_leave(bad)
        with pytest.raises(type(plain.value)) as via_json:
            c.push_leave(types.MappingProxyType(bad))
        assert str(plain.value) == str(via_json.value)


def test_the_http_librarys_debug_records_stay_in_rust(sandbox: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    """ureq's and rustls's DEBUG records (a dozen per push) would each take the GIL and a call
    into `logging`; only pyun's own reach Python at DEBUG, the HTTP stack's from INFO up."""
    with caplog.at_level(logging.DEBUG, logger="pyun"):
        client(sandbox).push_leave(load("leave.json"), files={"leave_image_file": DATA / "leave.bmp"})
    names = {r.name for r in caplog.records}
    assert any(n.startswith("pyun.pyun_core.") for n in names), names
    http = [n for n in names if n.split(".")[1] in ("ureq", "ureq_proto", "rustls")]
    assert http == [], http


def attempts_logged(records: List[logging.LogRecord]) -> int:
    """The client's per-attempt DEBUG records ("POST ... attempt N signing [...]")."""
    return sum(1 for r in records if r.name == "pyun.pyun_core.client" and r.getMessage().startswith("POST "))


def test_a_level_changed_between_pushes_is_obeyed_at_once(sandbox: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    """The per-attempt DEBUG record is dropped in Rust (no GIL, no `logging` call) when `logging`
    says, as the push starts, that it would drop it: a level changed at any time is obeyed by the
    next push, in both directions, and a child logger's own level counts. (pyo3-log's level
    cache, `Caching::LoggersAndLevels`, would keep the level of the first record.)"""
    c = client(sandbox)
    rec = load("leave.json")
    photo = {"leave_image_file": DATA / "leave.bmp"}
    client_logger = logging.getLogger("pyun.pyun_core.client")
    caplog.set_level(logging.DEBUG)  # the capture handler (on the root logger) takes every level
    pyun_logger = logging.getLogger("pyun")
    saved = (pyun_logger.level, client_logger.level)
    try:
        for serial, (pyun_level, client_level, heard) in enumerate(
            [
                (logging.WARNING, logging.NOTSET, 0),
                (logging.DEBUG, logging.NOTSET, 1),
                (logging.INFO, logging.NOTSET, 0),
                (logging.WARNING, logging.DEBUG, 1),
                (logging.DEBUG, logging.INFO, 0),
            ]
        ):
            pyun_logger.setLevel(pyun_level)
            client_logger.setLevel(client_level)
            caplog.clear()
            assert c.push_leave(dict(rec, parking_serial=f"LVL-{serial}"), photo).accepted
            assert attempts_logged(caplog.records) == heard, (pyun_level, client_level)
        logging.disable(logging.DEBUG)  # `logging`'s own switch is obeyed too
        pyun_logger.setLevel(logging.DEBUG)
        client_logger.setLevel(logging.NOTSET)
        caplog.clear()
        assert c.push_leave(dict(rec, parking_serial="LVL-disabled"), photo).accepted
        assert attempts_logged(caplog.records) == 0
    finally:
        logging.disable(logging.NOTSET)
        pyun_logger.setLevel(saved[0])
        client_logger.setLevel(saved[1])


def test_the_result_holds_the_contract_fields_and_copies_as_text(sandbox: Sandbox) -> None:
    """`PushResult` is filled from the native dict directly (no dataclass `__init__`): its fields
    are exactly the contract's JSON keys; its JSON is written when asked, and a copied or
    pickled result carries it as text."""
    import copy
    import dataclasses
    import json
    import pickle

    for secret in (SECRET, "not-the-secret"):  # accepted, and ignored with a diagnosis
        r = pyun.Client(secret, base_url=sandbox.url).push_leave(
            dict(load("leave.json"), parking_serial=f"RES-{secret}"), {"leave_image_file": DATA / "leave.bmp"}
        )
        fields = [f.name for f in dataclasses.fields(r)]
        assert fields[-1] == "_json" and set(fields[:-1]) == set(json.loads(r.to_json()))
        assert set(vars(r)) == set(fields)
        assert r.to_dict() == json.loads(r.to_json())
        assert (r.diagnosis is None) == (secret == SECRET)
        with pytest.raises(dataclasses.FrozenInstanceError):
            r.code = "x"  # type: ignore[misc]
        for copied in (pickle.loads(pickle.dumps(r)), copy.deepcopy(r), dataclasses.replace(r)):
            assert copied == r and copied.to_json() == r.to_json()
        assert dataclasses.asdict(r)["_json"] == r.to_json()


PASSWORD = "Hunter2pw"


@pytest.mark.parametrize(
    "netloc",
    ["127.0.0.1:{port}", "LOCALHOST:{port}", "127.0.0.1:0{port}", "127.1:{port}"],
)
def test_a_password_in_base_url_is_never_shown(netloc: str, caplog: pytest.LogCaptureFixture) -> None:
    import socket

    # A port nothing listens on, held (bound, not listening: connections are refused) until the
    # push failed, so that no parallel test can be given it.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        url = f"http://gw:pw{{x{PASSWORD}@{netloc.format(port=port)}"
        caplog.set_level(logging.DEBUG)  # every logger: pyun's, and its HTTP library's from INFO up
        c = pyun.Client(SECRET, base_url=url, retries=1, backoff=0.01, timeout=5.0)
        assert PASSWORD not in repr(c) and "***@" in repr(c)
        with pytest.raises(pyun.TransportError) as e:
            c.push_update(load("update.json"))
    assert e.value.kind == "connect" and "***@" in str(e.value)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "POST " in logged
    for text in (str(e.value), repr(e.value), logged):
        assert PASSWORD not in text and "pw{x" not in text and "pw%7B" not in text


def test_the_password_reaches_the_gateway_as_a_header(sandbox: Sandbox) -> None:
    # the sandbox ignores Authorization; what matters is that the push still works
    host = sandbox.url.split("://", 1)[1]
    c = pyun.Client(SECRET, base_url=f"http://gw:{PASSWORD}@{host}", strict=True)
    r = c.push_update(load("update.json"))
    assert r.accepted and PASSWORD not in repr(r)


def test_a_missing_ca_file_is_a_config_error_naming_it(tmp_path: pathlib.Path) -> None:
    missing = tmp_path / "corporate-ca.pem"
    with pytest.raises(pyun.ConfigError, match="corporate-ca.pem"):
        pyun.Client(SECRET, ca_file=str(missing))
