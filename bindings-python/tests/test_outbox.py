"""The durable Outbox from Python, against the sandbox."""
from __future__ import annotations

import pathlib
import shutil
import threading
import time
from typing import List

import pytest

import pyun
from conftest import DATA, SECRET, Sandbox, load


def client(sandbox: Sandbox, secret: str = SECRET) -> pyun.Client:
    return pyun.Client(secret, base_url=sandbox.url, retries=0, backoff=0.01, timeout=5.0)


def test_records_survive_faults_and_arrive_once_in_order(sandbox: Sandbox, tmp_path: pathlib.Path) -> None:
    photo = tmp_path / "enter.gif"
    shutil.copy(DATA / "enter.gif", photo)
    box = pyun.Outbox(tmp_path / "outbox.db")
    box.enqueue("enter", load("enter.json"), {"enter_image_file": photo})
    box.enqueue(None, pyun.LeaveRecord(**load("leave.json")))
    photo.unlink()  # the photo was copied in: rotating the lot PC's folders loses nothing
    assert box.counts()["pending"] == 2

    sandbox.faults(fail_first=1)
    first = box.drain(client(sandbox))
    assert first["retried"] == 1 and first["pending"] >= 1
    reopened = pyun.Outbox(tmp_path / "outbox.db")  # as after a restart
    deadline = time.monotonic() + 20
    while reopened.counts()["pending"] and time.monotonic() < deadline:
        reopened.drain(client(sandbox))  # a record backs off for a second after a failure
        time.sleep(0.1)
    assert reopened.counts() == {"pending": 0, "in_flight": 0, "done": 2, "dead": 0}
    stored = sandbox.records()
    assert [r["endpoint"] for r in stored] == ["enter", "leave"]
    assert stored[0]["files"]["enter_image_file"]["len"] == (DATA / "enter.gif").stat().st_size


def test_refused_records_become_dead_letters_and_can_be_retried(sandbox: Sandbox, tmp_path: pathlib.Path) -> None:
    box = pyun.Outbox(tmp_path / "o.db")
    box.enqueue("release", load("release.json"))
    report = box.drain(client(sandbox, secret="wrong"))
    assert report["dead"] == 1
    (dead,) = box.dead_letters()
    assert dead["endpoint"] == "release" and "401" in (dead["response"] or "")
    assert box.retry_dead() == 1
    assert box.drain(client(sandbox))["accepted"] == 1
    assert box.purge_done(0) == 1 and box.counts()["done"] == 0


def test_bad_records_and_bad_files_are_refused_at_enqueue(tmp_path: pathlib.Path) -> None:
    box = pyun.Outbox(tmp_path / "o.db")
    with pytest.raises(pyun.ValidationError):
        box.enqueue("enter", {"plate": "x"})
    with pytest.raises(pyun.FileError):
        box.enqueue("enter", load("enter.json"), {"enter_image_file": tmp_path / "gone.jpg"})
    assert box.counts()["pending"] == 0
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"this is not a database" * 100)
    with pytest.raises(pyun.StoreError):
        pyun.Outbox(corrupt)
    assert corrupt.read_bytes().startswith(b"this is not a database")  # detected, not emptied


def test_eight_threads_enqueue_into_one_outbox(tmp_path: pathlib.Path) -> None:
    box = pyun.Outbox(tmp_path / "o.db")
    ids: List[int] = []

    def work(t: int) -> None:
        for i in range(25):
            ids.append(box.enqueue("enter", {**load("enter.json"), "parking_serial": f"T{t}-{i}"}))

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(ids)) == 200 and box.counts()["pending"] == 200


def test_purge_days_at_the_extremes_keep_everything(sandbox: Sandbox, tmp_path: pathlib.Path) -> None:
    # More days than a duration holds means "forever", never a wrap into "purge everything".
    box = pyun.Outbox(tmp_path / "o.db", audit_days=float("inf"))
    box.enqueue("release", load("release.json"))
    assert box.drain(client(sandbox))["accepted"] == 1
    for days in (1.0, 106751991168.0, 2.2e14, 1e300, float("inf")):
        assert box.purge_done(days) == 0, days
    assert box.purge_done() == 0  # the audit period: forever
    for bad in (-1.0, float("nan")):
        with pytest.raises(pyun.ConfigError):
            box.purge_done(bad)
    for bad in (0.0, -1.0, float("nan")):
        with pytest.raises(pyun.ConfigError):
            pyun.Outbox(tmp_path / "o.db", audit_days=bad)
    assert box.counts()["done"] == 1
    assert box.purge_done(0) == 1


def test_records_lost_from_a_damaged_wal_are_reported_not_silently_dropped(tmp_path: pathlib.Path) -> None:
    import sqlite3

    db = tmp_path / "outbox.db"
    box = pyun.Outbox(db)
    # Another reader holds an old snapshot: no checkpoint can move the records out of the WAL.
    reader = sqlite3.connect(db, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT COUNT(*) FROM records").fetchone()
    for i in range(10):
        record = load("leave.json")
        record["parking_serial"] = f"L-{i}"
        box.enqueue("leave", record)
    # The files as a power cut leaves them, with one bit flipped in the WAL's second frame.
    copy = tmp_path / "copy"
    copy.mkdir()
    for suffix in ("", "-wal", "-enqueued"):
        shutil.copy(f"{db}{suffix}", f"{copy / 'outbox.db'}{suffix}")
    wal = bytearray((copy / "outbox.db-wal").read_bytes())
    wal[32 + (24 + 4096) + 24 + 100] ^= 0x10
    (copy / "outbox.db-wal").write_bytes(bytes(wal))
    reader.close()

    with pytest.raises(pyun.RecordsLostError) as lost:
        pyun.Outbox(copy / "outbox.db")
    assert isinstance(lost.value, pyun.StoreError)
    assert "LOST" in str(lost.value)
    assert lost.value.lost and lost.value.lost[-1]["key"] == "L-9"
    # Reported once: the lost records are dead letters now.
    again = pyun.Outbox(copy / "outbox.db")
    counts = again.counts()
    assert counts["pending"] + counts["dead"] == 10
    assert all(d["error"].startswith("LOST") for d in again.dead_letters())


def update(key: str) -> dict:  # type: ignore[type-arg]
    return {"park_uuid": "p", "flow_no": key, "parking_serial": f"S-{key}", "plate": "P"}


def test_a_thousand_records_from_four_threads_with_the_sender_through_faults_and_a_restart(
    sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    sandbox.faults(error_rate=0.05, drop_rate=0.05, drop_after_store=True, seed=11)
    c = pyun.Client(SECRET, base_url=sandbox.url, retries=3, backoff=0.01, timeout=5.0)
    seen: dict = {}  # type: ignore[type-arg]
    cursor = 0

    def follow(box: pyun.Outbox) -> None:
        nonlocal cursor
        for e in box.events(cursor):
            assert e.seq > cursor
            cursor = e.seq
            if e.kind == "accepted":
                seen[e.record_id] = seen.get(e.record_id, 0) + 1

    for half in range(2):
        with pyun.Outbox(tmp_path / "q.db", max_backoff=0.2) as box, box.start_sender(c, poll=1.0) as sender:
            assert sender.running

            def enqueue(t: int) -> None:
                for i in range(125):
                    box.enqueue("update", update(f"H{half}-T{t}-{i}"))

            threads = [threading.Thread(target=enqueue, args=(t,)) for t in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            if half == 1:
                deadline = time.monotonic() + 300
                while box.counts()["done"] < 1000:
                    follow(box)
                    assert time.monotonic() < deadline, box.counts()
                    time.sleep(0.05)
            follow(box)
        # the with blocks stopped the sender (after its record in flight) and closed the outbox
        assert not sender.running
        with pytest.raises(pyun.ConfigError, match="closed"):
            box.counts()
    box = pyun.Outbox(tmp_path / "q.db")
    follow(box)
    assert len(seen) == 1000 and set(seen.values()) == {1}
    assert box.counts()["dead"] == 0
    assert len(sandbox.records()) == 1000


def test_what_happened_to_my_record(sandbox: Sandbox, tmp_path: pathlib.Path) -> None:
    box = pyun.Outbox(tmp_path / "q.db", max_backoff=0.2)
    rid = box.enqueue("update", update("K-1"))
    (status,) = box.record(rid)
    assert (status.state, status.key, status.attempts) == ("pending", "K-1", 0)
    assert box.record("S-K-1") == [status] and box.record(rid + 99) == []
    sandbox.faults(gateway_first=5, gateway_status=404)
    box.drain(client(sandbox))
    head = box.head()
    assert head is not None and head.id == rid and head.attempts >= 1
    assert head.last_error and "404" in head.last_error
    sandbox.faults()
    with box.start_sender(client(sandbox), poll=0.05):
        deadline = time.monotonic() + 60
        while box.record(rid)[0].state != "done":
            assert time.monotonic() < deadline
            time.sleep(0.02)
    (done,) = box.record(rid)
    assert done.seqno and [e.kind for e in box.events()] == ["accepted"]
    assert [r.id for r in box.list("done")] == [rid] and box.list("pending") == []
    with pytest.raises(pyun.ConfigError):
        box.list("sent")


def test_the_pyun_logger_has_a_null_handler_and_clients_close() -> None:
    import logging

    assert any(isinstance(h, logging.NullHandler) for h in logging.getLogger("pyun").handlers)
    with pyun.Client("s") as c:
        assert "Client" in repr(c)
    with pytest.raises(pyun.ConfigError, match="closed"):
        c.push_update(update("X"))
    c.close()  # idempotent


def test_a_logging_handler_may_query_the_outbox_while_the_sender_pauses(sandbox: Sandbox, tmp_path: pathlib.Path) -> None:
    """pyo3-log calls Python's logging on the sender thread; a handler that asks the outbox
    what waits (as a UI would) must not deadlock it (docs/promises.md, "Callbacks")."""
    import logging

    box = pyun.Outbox(tmp_path / "q.db")
    for i in range(4):
        box.enqueue("update", update(f"P-{i}"))
    answered = threading.Event()

    class Asks(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "delivery paused" in record.getMessage():
                box.head()
                box.counts()
                answered.set()

    logger = logging.getLogger("pyun")
    handler = Asks(logging.ERROR)
    logger.addHandler(handler)
    previous = logger.level
    logger.setLevel(logging.ERROR)
    try:
        sender = box.start_sender(client(sandbox, secret="wrong"), poll=0.05)
        assert answered.wait(30), "the handler's outbox queries did not return"
        stopper = threading.Thread(target=sender.stop)
        stopper.start()
        stopper.join(30)
        assert not stopper.is_alive(), "stop() hung"
        assert not sender.running and sender.failure is None
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
