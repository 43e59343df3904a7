"""The receiver a subscriber writes by hand: Flask, hashlib MD5 verification (the platform's
rule: every field but `sign`, sorted, key=value joined with &, then &app_secret=, uppercase
hex), and an SQLite insert de-duplicated by pay_serial / parking_serial, committed (WAL,
synchronous=FULL: fsync) before the ack. Served by waitress (a production WSGI server).

    python flask_receiver.py PORT SECRET DB
"""
import hashlib
import json
import sqlite3
import sys
import threading

from flask import Flask, Response, request
from waitress import serve

port, secret, db = int(sys.argv[1]), sys.argv[2], sys.argv[3]
app = Flask(__name__)
local = threading.local()
ACK = '{"code":"1001"}'


def conn() -> sqlite3.Connection:
    c = getattr(local, "c", None)
    if c is None:
        c = sqlite3.connect(db, timeout=30, isolation_level=None)
        c.execute("PRAGMA journal_mode=WAL")
        c.execute("PRAGMA synchronous=FULL")
        c.execute("CREATE TABLE IF NOT EXISTS pushes (kind TEXT, key TEXT, fields TEXT, PRIMARY KEY (kind, key))")
        local.c = c
    return c


def verify(fields: dict) -> bool:
    canonical = "&".join(f"{k}={fields[k]}" for k in sorted(fields) if k != "sign")
    digest = hashlib.md5(f"{canonical}&app_secret={secret}".encode()).hexdigest().upper()
    return digest == fields.get("sign", "").upper()


@app.post("/notify")
def notify() -> Response:
    fields = request.form.to_dict()
    if not verify(fields):
        return Response('{"code":"401"}', status=401, content_type="application/json")
    kind, key = ("payment", fields["pay_serial"]) if fields.get("pay_serial") else ("leave", fields.get("parking_serial", ""))
    conn().execute("INSERT OR IGNORE INTO pushes VALUES (?, ?, ?)", (kind, key, json.dumps(fields, ensure_ascii=False)))
    return Response(ACK, content_type="application/json")


if __name__ == "__main__":
    serve(app, host="127.0.0.1", port=port, threads=8, _quiet=True)
