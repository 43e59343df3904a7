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

"Once" holds by construction: a copy of a push is handled only by the request that holds its
claim; a copy arriving meanwhile is answered 503 (sent again later) and a handled one is acked.
Where the claims live is the `dedup` argument:

- `PushStore("pushes.db")` (or just the path): the SQLite store `pyun listen` uses, shared by
  every process that opens the same file and kept across restarts. **Use it whenever the server
  runs more than one worker process** (gunicorn `-w 2`, uvicorn `--workers 2`): claims held in one
  process's memory cannot stop another process from handling the same push.
- `MemoryDedup()` (the default): this process only, forgotten on restart.
- your own object with `is_handled(kind, key) -> bool` and `mark_handled(kind, key)` (mark in
  the same transaction as your handler's writes for exactly-once effects); claims are then held
  in this process.

The secret never appears in logs or answers, and what is logged or echoed of a received value is
bounded.
"""
from __future__ import annotations

import asyncio
import inspect
import json
import logging
import threading
from typing import Any, Awaitable, Callable, Dict, Iterable, List, Optional, Protocol, Set, Tuple, Union

import os

from . import ACK_BODY, ReceivedPush, _pyun, verify_request
from .errors import PyunError, SignatureError

log = logging.getLogger("pyun.receiver")

__all__ = ["Dedup", "MemoryDedup", "PushStore", "Receiver", "asgi_app", "wsgi_app"]

#: Bodies larger than this are refused (413) unless `max_body` says otherwise.
MAX_BODY = 1 << 20

#: The most of a received value (a key, an error quoting the fields) logged or echoed.
_LOGGED = 1024


def _bounded(text: str, limit: int = _LOGGED) -> str:
    """At most `limit` characters of a received value, marked when cut: a 1 MB push must not
    become a 1 MB log line."""
    return text if len(text) <= limit else f"{text[:limit]}...({len(text) - limit} more characters)"


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


class PushStore:
    """The push store `pyun listen` uses (SQLite, on disk when a call returns): de-duplication
    and claims shared by every process that opens the same file. A claim ends when the handler
    returns; if its process dies first, after `lease` seconds (then the push is handled again on
    its next delivery: at least once across a crash)."""

    def __init__(self, path: Union[str, "os.PathLike[str]"], lease: float = 300.0) -> None:
        self._store = _pyun.PushStore(path, lease)
        self.path = os.fspath(path)

    def __repr__(self) -> str:
        return f"PushStore({self.path!r})"

    def claim(self, push: ReceivedPush) -> Tuple[str, str]:
        """Records a delivery: ("handle", token), ("handled", token) or ("busy", token)."""
        token = _pyun.PushStore.new_token()
        fields = json.dumps(push.fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return self._store.claim(push.kind, push.key, push.encoding, fields, token), token

    def finish(self, push: ReceivedPush, token: str, error: Optional[str]) -> None:
        """Records the outcome of the handler that ran under `token`'s claim."""
        self._store.finish(push.kind, push.key, token, error)


Answer = Tuple[int, str]


def _refuse(status: int, message: str) -> Answer:
    return status, json.dumps({"code": str(status), "message": message}, ensure_ascii=False)


class Receiver:
    """The framework-independent part: `check` a request, run the handler, `done` it. The WSGI
    and ASGI apps are built on it; a framework route can use `respond` directly."""

    def __init__(self, app_secret: str, dedup: Union[Dedup, PushStore, str, "os.PathLike[str]", None] = None,
                 max_body: int = MAX_BODY) -> None:
        if not app_secret:
            raise ValueError("app_secret is empty")
        self._secret = app_secret
        if isinstance(dedup, (str, os.PathLike)):
            dedup = PushStore(dedup)
        self.dedup: Union[Dedup, PushStore] = dedup if dedup is not None else MemoryDedup()
        self.max_body = max_body
        # Claims held in this process: (kind, key) -> the store's token ("" for a Dedup).
        self._claims: Dict[Tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Receiver(app_secret='***', dedup={self.dedup!r})"

    def check(self, content_type: Optional[str], body: bytes) -> Union[ReceivedPush, Answer]:
        """The verified push to handle (its claim is now held: call `done`), or the answer to
        give without handling (a refusal, the ack of a push already handled, or 503 while a copy
        is being handled)."""
        if len(body) > self.max_body:
            return _refuse(413, f"the body is larger than {self.max_body} bytes")
        try:
            push = verify_request(content_type, body, self._secret)
        except SignatureError as e:
            unsigned = "no `sign`" in str(e)
            log.warning("push NOT VERIFIED, not acknowledged: %s", _bounded(str(e)))
            return _refuse(400 if unsigned else 401, _bounded(str(e)))
        except PyunError as e:
            log.warning("push unreadable, not acknowledged: %s", _bounded(str(e)))
            return _refuse(400, _bounded(str(e)))
        claimed = (push.kind, push.key)
        label = f"push {push.kind} {_bounded(push.key, 128)!r} verified ({push.encoding})"
        if isinstance(self.dedup, PushStore):
            try:
                decision, token = self.dedup.claim(push)
            except PyunError as e:
                log.error("%s: NOT STORED, not acknowledged: %s", label, e)
                return _refuse(500, "the push was not stored")
        else:
            with self._lock:
                if claimed in self._claims:
                    decision, token = "busy", ""
                else:
                    self._claims[claimed] = ""
                    decision, token = "handle", ""
            if decision == "handle":
                # Asked while holding the claim: a copy that finished meanwhile has marked it.
                try:
                    handled = self.dedup.is_handled(*claimed)
                except Exception as e:
                    self._release(claimed)
                    log.error("%s: the de-duplication store failed, not acknowledged: %r", label, e)
                    return _refuse(500, "the push was not stored")
                if handled:
                    self._release(claimed)
                    decision = "handled"
        if decision == "handled":
            log.info("%s: duplicate, acknowledged", label)
            return 200, ACK_BODY
        if decision == "busy":
            return _refuse(503, "a copy of this push is being handled")
        with self._lock:
            self._claims[claimed] = token
        return push

    def _release(self, claimed: Tuple[str, str]) -> str:
        with self._lock:
            return self._claims.pop(claimed, "")

    def done(self, push: ReceivedPush, error: Optional[BaseException]) -> Answer:
        """Records the handler's outcome, ends the claim, and gives the answer."""
        token = self._release((push.kind, push.key))
        try:
            if isinstance(self.dedup, PushStore):
                self.dedup.finish(push, token, None if error is None else _bounded(repr(error)))
            elif error is None:
                self.dedup.mark_handled(push.kind, push.key)
        except Exception as e:  # the de-dup store failed: not acknowledged, sent again
            error = error or e
        label = f"push {push.kind} {_bounded(push.key, 128)!r} verified ({push.encoding})"
        if error is not None:
            log.error("%s: HANDLER FAILED, not acknowledged: %s", label, _bounded(repr(error)))
            return _refuse(500, "the push was not handled")
        log.info("%s: handled, acknowledged", label)
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
        except BaseException as e:  # a worker's timeout or exit: the claim must not outlive it
            self.done(checked, e)
            raise
        return self.done(checked, None)


_STATUS = {200: "200 OK", 400: "400 Bad Request", 401: "401 Unauthorized", 405: "405 Method Not Allowed",
           413: "413 Payload Too Large", 500: "500 Internal Server Error", 503: "503 Service Unavailable"}


def _wsgi_body(environ: Dict[str, Any], max_body: int) -> Optional[bytes]:
    """The request body, or None when larger than `max_body`. A chunked body has no
    CONTENT_LENGTH: it is read to its end where the server says the input ends there
    (`wsgi.input_terminated`: gunicorn, werkzeug, waitress)."""
    stream = environ["wsgi.input"]
    try:
        length: Optional[int] = int(environ.get("CONTENT_LENGTH") or "")
    except ValueError:
        length = None
    if length is not None:
        if length > max_body:
            return None
        return stream.read(length) if length > 0 else b""
    chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
    if not (environ.get("wsgi.input_terminated") or chunked):
        return b""
    chunks: List[bytes] = []
    size = 0
    while True:
        chunk = stream.read(min(65536, max_body + 1 - size))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if size > max_body:
            return None


def wsgi_app(handler: Callable[[ReceivedPush], Any], app_secret: str,
             dedup: Union[Dedup, PushStore, str, "os.PathLike[str]", None] = None,
             max_body: int = MAX_BODY) -> Callable[[Dict[str, Any], Callable[..., Any]], Iterable[bytes]]:
    """A WSGI application receiving pushes at any path; `handler(push)` runs once per distinct
    push (raise to refuse it)."""
    receiver = Receiver(app_secret, dedup, max_body)

    def app(environ: Dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST":
            status, text = _refuse(405, "pushes are POSTed")
        else:
            body = _wsgi_body(environ, receiver.max_body)
            if body is None:
                status, text = _refuse(413, f"the body is larger than {receiver.max_body} bytes")
            else:
                status, text = receiver.respond(environ.get("CONTENT_TYPE") or None, body, handler)
        data = text.encode()
        start_response(_STATUS.get(status, f"{status} Error"),
                       [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]

    return app


def asgi_app(handler: Callable[[ReceivedPush], Union[Awaitable[Any], Any]], app_secret: str,
             dedup: Union[Dedup, PushStore, str, "os.PathLike[str]", None] = None,
             max_body: int = MAX_BODY) -> Callable[..., Awaitable[None]]:
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
        # The store's commit waits for the disk: off the event loop.
        loop = asyncio.get_running_loop()
        checked = await loop.run_in_executor(None, receiver.check, content_type, body)
        if not isinstance(checked, ReceivedPush):
            return await send_answer(send, *checked)
        error: Optional[BaseException] = None
        try:
            if inspect.iscoroutinefunction(handler):
                await handler(checked)
            else:
                result = await loop.run_in_executor(None, handler, checked)
                if inspect.isawaitable(result):
                    await result
        except Exception as e:
            error = e
        except BaseException as e:  # cancelled: the claim must not outlive the request
            receiver.done(checked, e)
            raise
        await send_answer(send, *await loop.run_in_executor(None, receiver.done, checked, error))

    return app
