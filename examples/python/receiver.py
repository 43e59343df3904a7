"""A receiver for the platform's pushes (leave records, page 000; payment orders, page 004).

    PYUN_APP_SECRET=... python receiver.py --port 9000
    pyun send-push leave --to http://127.0.0.1:9000/notify --app-secret ... --encoding json

A thin user of `pyun.receiver.wsgi_app`, which reads every encoding (form, multipart, JSON),
verifies, de-duplicates by `pay_serial` / `parking_serial`, calls `handle` once per push and
acknowledges only when it returned: a push that fails verification is answered 401, one that
`handle` raises on 500; neither is acknowledged, so the platform sends it again. Served by the
standard library's wsgiref here; in production mount the same app under waitress, gunicorn or
your framework (see frameworks/flask_receiver.py and frameworks/fastapi_receiver.py).
"""
from __future__ import annotations

import argparse
import logging
import os
import socketserver
import sys
import threading
from typing import Any, Callable, Dict, Iterable, Iterator
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pyun
import pyun.receiver


class Server(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        logging.getLogger("receiver").info(format, *args)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=9000, help="0 picks a free port")
    parser.add_argument("--app-secret", default=os.environ.get("PYUN_APP_SECRET"))
    parser.add_argument("--max-pushes", type=int, default=0, help="stop after N distinct pushes (0: never)")
    args = parser.parse_args()
    if not args.app_secret:
        parser.error("give --app-secret or set PYUN_APP_SECRET")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    handled = 0
    lock = threading.Lock()

    def handle(push: pyun.ReceivedPush) -> None:
        """Your business logic goes here; it runs once per push, however often it arrives."""
        nonlocal handled
        typed: Dict[str, Any] = pyun.parse_push(push.kind, push.fields, args.app_secret)  # typed view
        print(f"{push.kind} push {push.key}: plate {typed.get('plate')}", flush=True)
        with lock:
            handled += 1

    app = pyun.receiver.wsgi_app(handle, args.app_secret)
    server = make_server("127.0.0.1", args.port, app, server_class=Server, handler_class=QuietHandler)

    def stopping_app(environ: Dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        body = app(environ, start_response)

        def answer() -> Iterator[bytes]:
            try:
                yield from body
            finally:  # the answer is out: stop only now, or the platform would send it again
                if 0 < args.max_pushes <= handled:
                    threading.Thread(target=server.shutdown).start()

        return answer()

    server.set_app(stopping_app)
    print(f"listening on http://127.0.0.1:{server.server_address[1]}/notify", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
