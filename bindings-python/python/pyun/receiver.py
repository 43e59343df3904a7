"""Receiving the platform's pushes (pages 000 and 004) inside your own service.

    import pyun.receiver

    def handle(push: pyun.ReceivedPush) -> None:   # runs once per distinct push
        save(push.kind, push.key, push.fields)     # raise to refuse: the platform resends

    app = pyun.receiver.wsgi_app(handle, app_secret)    # waitress, gunicorn, Flask, Django...
    app = pyun.receiver.asgi_app(handle, app_secret)    # uvicorn, FastAPI, Starlette...

Every request is read in any encoding (urlencoded, multipart, JSON; `pyun.verify_request`),
verified, de-duplicated by its key (`pay_serial` for payment orders, `parking_serial` for leave
records), handed to `handler` once, and acknowledged with `{"code":"1001"}` only when the
handler returned. A push that fails verification is answered 401 (400 when unreadable or
unsigned), one whose handler raised 500: not acknowledged, so the platform sends it again. A
repeat of a handled push is acknowledged without calling the handler.

De-duplication is pluggable: anything with `is_handled(kind, key) -> bool` and
`mark_handled(kind, key)`. The default, `MemoryDedup`, forgets on restart; give one backed by
your database (mark in the same transaction as your handler's writes) for exactly-once effects.
The secret never appears in logs or answers.
"""
from __future__ import annotations

import asyncio
import inspect
import json
import logging
import threading
from typing import Any, Awaitable, Callable, Dict, Iterable, List, Optional, Protocol, Set, Tuple, Union

from . import ACK_BODY, ReceivedPush, verify_request
from .errors import PyunError, SignatureError

log = logging.getLogger("pyun.receiver")

__all__ = ["Dedup", "MemoryDedup", "Receiver", "asgi_app", "wsgi_app"]

#: Bodies larger than this are refused (413) unless `max_body` says otherwise.
MAX_BODY = 1 << 20


class Dedup(Protocol):
    """Remembers which pushes were handled."""

    def is_handled(self, kind: str, key: str) -> bool: ...

    def mark_handled(self, kind: str, key: str) -> None: ...


class MemoryDedup:
    """In-memory de-duplication (thread-safe); forgets on restart."""

    def __init__(self) -> None:
        self._seen: Set[Tuple[str, str]] = set()
        self._lock = threading.Lock()

    def is_handled(self, kind: str, key: str) -> bool:
        with self._lock:
            return (kind, key) in self._seen

    def mark_handled(self, kind: str, key: str) -> None:
        with self._lock:
            self._seen.add((kind, key))


Answer = Tuple[int, str]


def _refuse(status: int, message: str) -> Answer:
    return status, json.dumps({"code": str(status), "message": message}, ensure_ascii=False)


class Receiver:
    """The framework-independent part: `check` a request, run the handler, `done` it. The WSGI
    and ASGI apps are built on it; a framework route can use `respond` directly."""

    def __init__(self, app_secret: str, dedup: Optional[Dedup] = None, max_body: int = MAX_BODY) -> None:
        if not app_secret:
            raise ValueError("app_secret is empty")
        self._secret = app_secret
        self.dedup: Dedup = dedup if dedup is not None else MemoryDedup()
        self.max_body = max_body
        self._in_flight: Set[Tuple[str, str]] = set()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Receiver(app_secret='***', dedup={self.dedup!r})"

    def check(self, content_type: Optional[str], body: bytes) -> Union[ReceivedPush, Answer]:
        """The verified push to handle, or the answer to give without handling (a refusal, or
        the ack of a push already handled, or 503 while a copy is being handled)."""
        if len(body) > self.max_body:
            return _refuse(413, f"the body is larger than {self.max_body} bytes")
        try:
            push = verify_request(content_type, body, self._secret)
        except SignatureError as e:
            unsigned = "no `sign`" in str(e)
            log.warning("push NOT VERIFIED, not acknowledged: %s", e)
            return _refuse(400 if unsigned else 401, str(e))
        except PyunError as e:
            log.warning("push unreadable, not acknowledged: %s", e)
            return _refuse(400, str(e))
        if self.dedup.is_handled(push.kind, push.key):
            log.info("push %s %r verified (%s): duplicate, acknowledged", push.kind, push.key, push.encoding)
            return 200, ACK_BODY
        with self._lock:
            if (push.kind, push.key) in self._in_flight:
                return _refuse(503, "a copy of this push is being handled")
            self._in_flight.add((push.kind, push.key))
        return push

    def done(self, push: ReceivedPush, error: Optional[BaseException]) -> Answer:
        """Records the handler's outcome and gives the answer."""
        try:
            if error is None:
                self.dedup.mark_handled(push.kind, push.key)
        except Exception as e:  # the de-dup store failed: not acknowledged, sent again
            error = e
        finally:
            with self._lock:
                self._in_flight.discard((push.kind, push.key))
        if error is not None:
            log.error("push %s %r verified (%s): HANDLER FAILED, not acknowledged: %r",
                      push.kind, push.key, push.encoding, error)
            return _refuse(500, "the push was not handled")
        log.info("push %s %r verified (%s): handled, acknowledged", push.kind, push.key, push.encoding)
        return 200, ACK_BODY

    def respond(self, content_type: Optional[str], body: bytes,
                handler: Callable[[ReceivedPush], Any]) -> Answer:
        """check → handler → done, for a framework route: returns (status, JSON body)."""
        checked = self.check(content_type, body)
        if not isinstance(checked, ReceivedPush):
            return checked
        try:
            handler(checked)
        except Exception as e:
            return self.done(checked, e)
        return self.done(checked, None)


_STATUS = {200: "200 OK", 400: "400 Bad Request", 401: "401 Unauthorized", 405: "405 Method Not Allowed",
           413: "413 Payload Too Large", 500: "500 Internal Server Error", 503: "503 Service Unavailable"}


def wsgi_app(handler: Callable[[ReceivedPush], Any], app_secret: str, dedup: Optional[Dedup] = None,
             max_body: int = MAX_BODY) -> Callable[[Dict[str, Any], Callable[..., Any]], Iterable[bytes]]:
    """A WSGI application receiving pushes at any path; `handler(push)` runs once per distinct
    push (raise to refuse it)."""
    receiver = Receiver(app_secret, dedup, max_body)

    def app(environ: Dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST":
            status, text = _refuse(405, "pushes are POSTed")
        else:
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > receiver.max_body:
                status, text = _refuse(413, f"the body is larger than {receiver.max_body} bytes")
            else:
                body = environ["wsgi.input"].read(length) if length > 0 else b""
                status, text = receiver.respond(environ.get("CONTENT_TYPE") or None, body, handler)
        data = text.encode()
        start_response(_STATUS.get(status, f"{status} Error"),
                       [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]

    return app


def asgi_app(handler: Callable[[ReceivedPush], Union[Awaitable[Any], Any]], app_secret: str,
             dedup: Optional[Dedup] = None, max_body: int = MAX_BODY) -> Callable[..., Awaitable[None]]:
    """An ASGI application receiving pushes at any path. `handler` may be a coroutine function
    (awaited) or a plain function (run in a worker thread); it runs once per distinct push."""
    receiver = Receiver(app_secret, dedup, max_body)

    async def send_answer(send: Callable[..., Awaitable[None]], status: int, text: str) -> None:
        data = text.encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]})
        await send({"type": "http.response.body", "body": data})

    async def app(scope: Dict[str, Any], receive: Callable[[], Awaitable[Dict[str, Any]]],
                  send: Callable[..., Awaitable[None]]) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        if scope.get("method") != "POST":
            return await send_answer(send, *_refuse(405, "pushes are POSTed"))
        content_type: Optional[str] = None
        for name, value in scope.get("headers", []):
            if name.lower() == b"content-type":
                content_type = value.decode("latin-1")
        chunks: List[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > receiver.max_body:
                return await send_answer(send, *_refuse(413, f"the body is larger than {receiver.max_body} bytes"))
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        # Verification is one MD5 of a small body (microseconds): done on the event loop.
        checked = receiver.check(content_type, body)
        if not isinstance(checked, ReceivedPush):
            return await send_answer(send, *checked)
        try:
            if inspect.iscoroutinefunction(handler):
                await handler(checked)
            else:
                result = await asyncio.get_running_loop().run_in_executor(None, handler, checked)
                if inspect.isawaitable(result):
                    await result
        except Exception as e:
            return await send_answer(send, *receiver.done(checked, e))
        await send_answer(send, *receiver.done(checked, None))

    return app
