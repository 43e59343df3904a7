"""The hand-written integration a user would otherwise write: the same signed multipart leave
push with `requests` + `hashlib`, one at a time over a `requests.Session` (kept-alive).

Run: python bench/python_push.py SANDBOX_URL [N]   (bench/run.sh runs it beside the Rust client)
"""
import hashlib
import json
import os
import sys
import time

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "examples", "data")


def sign(fields, secret):
    text = "&".join(f"{k}={fields[k]}" for k in sorted(fields)) + "&app_secret=" + secret
    return hashlib.md5(text.encode("utf-8")).hexdigest().upper()


def payment_json(payments):
    # Sorted keys, value/free_value as numbers: the shape page 001's sample signs.
    out = []
    for p in payments:
        q = {k: (int(v) if k in ("value", "free_value") else str(v)) for k, v in p.items()}
        out.append(dict(sorted(q.items())))
    return json.dumps(out, ensure_ascii=False, separators=(",", ":"))


def main():
    url, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    base = json.load(open(os.path.join(DATA, "leave.json"), encoding="utf-8"))
    photo_path = os.path.join(DATA, "leave.bmp")
    session = requests.Session()
    run = os.getpid()
    started = time.perf_counter()
    for i in range(n):
        rec = dict(base)
        rec["parking_serial"] = f"PY-{run}-{i}"
        fields = {k: (payment_json(v) if k == "payment_list" else str(v)) for k, v in rec.items()}
        with open(photo_path, "rb") as f:
            photo = f.read()
        fields["leave_image_hash"] = hashlib.md5(photo).hexdigest().upper()
        fields["sign"] = sign(fields, "123")
        files = {k: (None, v.encode("utf-8"), "text/plain; charset=UTF-8") for k, v in fields.items()}
        files["leave_image_file"] = ("leave.bmp", photo, "application/octet-stream")
        r = session.post(url + "/gate/1.0/parking/internal/leave", files=files, timeout=30)
        body = r.json()
        assert body["code"] == "200" and "hint" not in body, body
    secs = time.perf_counter() - started
    print(f"python requests+hashlib: {n} pushes in {secs:.2f} s = {n / secs:.0f} pushes/s")


if __name__ == "__main__":
    main()
