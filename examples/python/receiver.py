"""A receiver for the platform's pushes (leave records, page 000; payment orders, page 004).

    PYUN_APP_SECRET=... python receiver.py --port 9000
    pyun send-push leave --to http://127.0.0.1:9000/notify --app-secret ...   # try it

Every push is verified before it is trusted, handled once (the platform resends until it gets
{"code":"1001"}, so the same push can arrive again), and acknowledged. Every push gets an
answer: one that fails verification is answered 401, one the handler fails on (a field it
cannot read, a database down) is logged and answered 500; neither is acknowledged, so the
platform sends it again. Standard library only, besides pyun.
"""
from __future__ import annotations

import argparse
import http.server
import json
import logging
import os
import sys
import threading
from typing import Any, Dict, Set

import pyun

log = logging.getLogger("receiver")


class Receiver(http.server.ThreadingHTTPServer):
    def __init__(self, port: int, app_secret: str, max_pushes: int) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.app_secret = app_secret
        self.max_pushes = max_pushes
        self.seen: Set[str] = set()
        self.lock = threading.Lock()

    def handle_push(self, fields: Dict[str, str]) -> bool:
        """Your business logic goes here; it runs once per push, however often it arrives.
        Returns True when the receiver has seen `max_pushes` distinct pushes."""
        kind = "payment" if "pay_serial" in fields else "leave"
        push: Dict[str, Any] = pyun.parse_push(kind, fields, self.app_secret)  # verifies again, cheap
        key = push.get("pay_serial") or push.get("parking_serial", "")
        with self.lock:
            first = key not in self.seen
            self.seen.add(key)
            done = len(self.seen) >= self.max_pushes > 0
        if first:
            print(f"{kind} push {key}: plate {push.get('plate')}", flush=True)
        return done


class Handler(http.server.BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            fields = pyun.parse_form(body)
            pyun.verify_or_raise(fields, self.server.app_secret)
        except pyun.PyunError as e:
            log.warning("rejected push: %s", e)
            return self.answer(401, json.dumps({"code": "401", "message": str(e)}))
        try:
            done = self.server.handle_push(fields)
        except Exception as e:  # never leave the platform without an answer: it would resend anyway
            log.exception("push not handled (answered 500, the platform will send it again): %s", e)
            return self.answer(500, json.dumps({"code": "500", "message": "not handled"}))
        self.answer(200, pyun.ACK_BODY)
        if done:  # only once the acknowledgement is out, or the platform would send it again
            threading.Thread(target=self.server.shutdown).start()

    def answer(self, status: int, body: str) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def log_message(self, format: str, *args: Any) -> None:
        log.info(format, *args)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=9000, help="0 picks a free port")
    parser.add_argument("--app-secret", default=os.environ.get("PYUN_APP_SECRET"))
    parser.add_argument("--max-pushes", type=int, default=0, help="stop after N distinct pushes (0: never)")
    args = parser.parse_args()
    if not args.app_secret:
        parser.error("give --app-secret or set PYUN_APP_SECRET")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    server = Receiver(args.port, args.app_secret, args.max_pushes)
    print(f"listening on http://127.0.0.1:{server.server_address[1]}/notify", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
