"""Issue 26, through the Python binding: THREADS threads enqueueing at once into one
`pyun.Outbox` against Python's `sqlite3` committing THREADS rows per transaction (WAL,
`synchronous=FULL`, the same JSON), in interleaved rounds in one process, best round of each.
With THREADS=1 it is one enqueue against one insert per transaction. A round writes N records
per side into a fresh database in DIR (a real disk, not a tmpfs).

Run: python bench/python_enqueue.py [N] [THREADS] [ROUNDS] [DIR]
     (needs the installed `pyun` wheel; bench/run.sh runs it)
"""
import json
import os
import sqlite3
import sys
import tempfile
import threading
import time

import pyun

HERE = os.path.dirname(os.path.abspath(__file__))
ENTER = json.load(open(os.path.join(HERE, "..", "examples", "data", "enter.json"), encoding="utf-8"))


def fresh(directory, name):
    path = os.path.join(directory, "pyun-bench-pe-%d-%s.db" % (os.getpid(), name))
    remove(path)
    return path


def remove(path):
    for suffix in ("", "-wal", "-shm", "-enqueued"):
        try:
            os.remove(path + suffix)
        except FileNotFoundError:
            pass


def pyun_side(directory, records, threads):
    """Seconds for `threads` threads to enqueue `records` (split between them)."""
    path = fresh(directory, "pyun")
    box = pyun.Outbox(path)
    per = -(-len(records) // threads)
    chunks = [records[i:i + per] for i in range(0, len(records), per)]
    barrier = threading.Barrier(len(chunks) + 1)

    def work(chunk):
        barrier.wait()
        for r in chunk:
            box.enqueue("enter", r)

    workers = [threading.Thread(target=work, args=(c,)) for c in chunks]
    for w in workers:
        w.start()
    barrier.wait()
    started = time.perf_counter()
    for w in workers:
        w.join()
    took = time.perf_counter() - started
    del box
    remove(path)
    return took


def sqlite_side(directory, rows, batch):
    """Seconds to insert `rows`, `batch` per transaction, WAL and synchronous=FULL."""
    path = fresh(directory, "sqlite")
    c = sqlite3.connect(path, isolation_level=None)
    c.execute("PRAGMA journal_mode = WAL")
    c.execute("PRAGMA synchronous = FULL")
    c.execute("CREATE TABLE q (id INTEGER PRIMARY KEY AUTOINCREMENT, serial TEXT NOT NULL, json TEXT NOT NULL)")
    started = time.perf_counter()
    for i in range(0, len(rows), batch):
        c.execute("BEGIN")
        for serial, text in rows[i:i + batch]:
            c.execute("INSERT INTO q (serial, json) VALUES (?, ?)", (serial, text))
        c.execute("COMMIT")
    took = time.perf_counter() - started
    c.close()
    remove(path)
    return took


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 16
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 4
    directory = sys.argv[4] if len(sys.argv) > 4 else tempfile.gettempdir()
    tag = "P%d" % (os.getpid() % 100000)
    records = [dict(ENTER, parking_serial="%s-%07d" % (tag, i)) for i in range(n)]
    rows = [(r["parking_serial"], json.dumps(r, ensure_ascii=False)) for r in records]
    print("python %s: %d records per side per round, %d round(s), %d thread(s), database in %s"
          % (sys.version.split()[0], n, rounds, threads, directory))
    best_p = best_s = 0.0
    for r in range(rounds):
        # Alternate which side goes first.
        if r % 2 == 0:
            p = pyun_side(directory, records, threads)
            s = sqlite_side(directory, rows, threads)
        else:
            s = sqlite_side(directory, rows, threads)
            p = pyun_side(directory, records, threads)
        p, s = n / p, n / s
        best_p, best_s = max(best_p, p), max(best_s, s)
        print("round %d: pyun.Outbox %7.0f /s   sqlite3 (%d row(s)/commit) %7.0f /s   ratio %.2f"
              % (r + 1, p, threads, s, p / s))
    print("best: pyun.Outbox %.0f /s, sqlite3 %.0f /s, ratio %.2f" % (best_p, best_s, best_p / best_s))


if __name__ == "__main__":
    main()
