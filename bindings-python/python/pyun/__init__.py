"""pyun: sign, send and verify P云 (4pyun) parking-cloud records.

A thin Python face on the Rust core: signing, typed records, a thread-safe `Client` with
retries (the GIL is released while it waits on the network or hashes photos), a durable
`Outbox`, request building for your own HTTP stack, and verification of the platform's pushes.
Logs go to the `pyun` logger (pyun's own records at every level, its HTTP library's from INFO
up); secrets are never logged, and print as `***`.
"""
from __future__ import annotations

import dataclasses
import json
import logging
import os
from types import TracebackType
from typing import Any, Dict, List, Mapping, Optional, Tuple, Type, Union, cast

from . import _pyun
from .delivery import Event, RecordStatus, Sender, _Closed
from .diagnosis import Diagnosis
from .errors import (
    ApiError,
    ConfigError,
    FileError,
    NetworkShareError,
    OutboxUnverifiedError,
    PyunError,
    RecordsLostError,
    SignatureError,
    StoreError,
    TransportError,
    ValidationError,
)
from .records import (
    BEIJING,
    CarColor,
    CarType,
    DiscountType,
    EnterRecord,
    LeaveRecord,
    Payment,
    PayType,
    PlateColor,
    PlateType,
    ReleaseMethod,
    ReleaseRecord,
    ReleaseType,
    UpdateRecord,
    VehicleType,
    epoch_ms,
    to_dict,
    utc_time,
)

__version__: str = _pyun.__version__
PRODUCTION_URL = "https://api.4pyun.com"
TEST_URL = "https://dev-api.4pyun.com"
#: The body a push receiver answers once it has handled a push; anything else makes the
#: platform send it again.
ACK_BODY: str = _pyun.ACK_BODY

Record = Union[EnterRecord, LeaveRecord, ReleaseRecord, UpdateRecord]
RecordLike = Union[Mapping[str, Any], Record]
FileLike = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview]

# A library logs to the "pyun" logger and leaves handlers to the application.
logging.getLogger("pyun").addHandler(logging.NullHandler())

__all__ = [
    "ACK_BODY", "ApiError", "BEIJING", "CarColor", "CarType", "Client", "ConfigError", "Diagnosis",
    "DiscountType", "EnterRecord", "Event", "FileError", "LeaveRecord", "NetworkShareError", "Outbox", "OutboxUnverifiedError", "PRODUCTION_URL", "Payment",
    "PayType", "PlateColor", "PlateType", "PushResult", "PyunError", "RecordStatus", "RecordsLostError", "ReleaseMethod", "ReleaseRecord",
    "ReleaseType", "Request", "Sender", "SignatureError", "StoreError", "TEST_URL", "TransportError",
    "UpdateRecord", "ValidationError", "VehicleType", "build_request", "canonical_string",
    "ReceivedPush", "epoch_ms", "explain", "parse_form", "parse_push", "parse_request", "sign", "sign_push", "utc_time", "verify",
    "verify_or_raise", "verify_request",
]


def _json_default(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_dict(value)
    raise TypeError(f"a record value must be str, int, a list or a pyun record class, not {type(value).__name__}")


def _record_json(record: RecordLike, endpoint: Optional[str]) -> str:
    """The record as the JSON text the core reads; a typed record must match `endpoint`."""
    typed = getattr(record, "ENDPOINT", None)
    if typed is not None and endpoint is not None and typed != endpoint:
        raise ConfigError(f"a {type(record).__name__} goes to the {typed!r} endpoint, not {endpoint!r}")
    if dataclasses.is_dataclass(record) and not isinstance(record, type):
        data: Any = to_dict(record)
    elif isinstance(record, Mapping):
        data = dict(record)
    else:
        raise TypeError(f"a record must be a dict or a pyun record class, not {type(record).__name__}")
    return json.dumps(data, ensure_ascii=False, default=_json_default)


def _endpoint(record: RecordLike, endpoint: Optional[str]) -> str:
    name = endpoint or getattr(record, "ENDPOINT", None)
    if name is None:
        raise ConfigError("give the endpoint ('enter', 'leave', 'release' or 'update') for a dict record")
    return str(name)


def _files(files: Optional[Mapping[str, FileLike]]) -> List[Tuple[str, Optional[str], Optional[bytes]]]:
    out: List[Tuple[str, Optional[str], Optional[bytes]]] = []
    for name, value in (files or {}).items():
        if isinstance(value, (bytes, bytearray, memoryview)):
            out.append((name, None, bytes(value)))
        elif isinstance(value, (str, os.PathLike)):
            out.append((name, os.fspath(value), None))
        else:
            raise TypeError(f"file {name!r} must be a path or bytes, not {type(value).__name__}")
    return out


# The native functions themselves, not wrappers: a Python-level call costs about 3 % of a sign.
sign = _pyun.sign
canonical_string = _pyun.canonical_string


def verify(fields: Mapping[str, str], app_secret: str) -> bool:
    """True when a push received from the platform (all fields, `sign` included) verifies.

    Every received field is signed, unknown ones included; empty values are tried signed as
    `key=` first and skipped second (the platform's older rule)."""
    return _pyun.verify_rule(fields, app_secret) is not None


def verify_or_raise(fields: Mapping[str, str], app_secret: str) -> str:
    """Like `verify`, but raises `SignatureError`; returns the empty-value rule that matched
    (`"included"` or `"skipped"`)."""
    rule = _pyun.verify_rule(fields, app_secret)
    if rule is None and "sign" not in fields:
        raise SignatureError("the push has no `sign` field")
    if rule is None:
        raise SignatureError("the push's signature does not verify (wrong secret, or altered fields)")
    return rule


def parse_request(content_type: Optional[str], body: bytes) -> Dict[str, str]:
    """The fields of a received push, from the request's Content-Type (None: sniffed from the
    body) and its body bytes: `application/x-www-form-urlencoded` (a declared charset honoured),
    `multipart/form-data`, or a JSON object of strings (any other JSON value is an error naming
    the field). A body that is none of these raises `ValidationError`, never a guess."""
    return dict(_pyun.parse_request(content_type, bytes(body)))


@dataclasses.dataclass(frozen=True)
class ReceivedPush:
    """A verified push: `kind` is "payment" (key `pay_serial`), "leave" (key `parking_serial`)
    or "unknown" (key: its sign); `encoding` is "form", "multipart" or "json"."""

    kind: str
    key: str
    encoding: str
    fields: Dict[str, str]


def verify_request(content_type: Optional[str], body: bytes, app_secret: str) -> ReceivedPush:
    """Parses (see `parse_request`) and verifies a received push. Raises `SignatureError` (a
    wrong secret or altered fields, or no `sign` field: the message says which) or
    `ValidationError` (an unreadable body)."""
    kind, key, encoding, fields = _pyun.verify_request(content_type, bytes(body), app_secret)
    return ReceivedPush(kind, key, encoding, dict(fields))


def parse_form(body: bytes) -> Dict[str, str]:
    """The fields of a received `application/x-www-form-urlencoded` body (UTF-8)."""
    return dict(_pyun.parse_form(bytes(body)))


def parse_push(kind: str, fields: Mapping[str, str], app_secret: str) -> Dict[str, Any]:
    """Verifies and reads a push: `kind` is `"leave"` (page 000) or `"payment"` (page 004, with
    `discounts` and `mcoupons` parsed from their JSON text; a list the platform sends as "",
    "null" or "{}" is an empty list). Raises `SignatureError`, or `ValidationError` for a list
    that cannot be read: answer such a push with a non-ack status, never with silence."""
    return _pyun.parse_push(kind, fields, app_secret)


def sign_push(fields: Mapping[str, str], app_secret: str, app_id: str, timestamp: Optional[int] = None) -> Dict[str, str]:
    """Fields signed as the platform signs its pushes (adds app_id, sign_type, timestamp, sign).
    For testing a receiver; `timestamp` is epoch milliseconds (now when None)."""
    return dict(_pyun.sign_push(fields, app_secret, app_id, timestamp))


def explain(
    hint: str,
    record: RecordLike,
    endpoint: Optional[str] = None,
    files: Optional[Mapping[str, FileLike]] = None,
) -> Diagnosis:
    """Compares a platform hint with what was sent: a typed record, a dict record with its
    `endpoint`, or (no endpoint) the flat str fields of a request. `files` are the photos the
    push sent, as given to `Client.push`: their MD5 is the `*_hash` field the platform signed
    (or put the `*_hash` fields in the record when the photos are gone)."""
    ep = endpoint or getattr(record, "ENDPOINT", None)
    return Diagnosis._from(_pyun.explain(hint, _record_json(record, ep), ep, _files(files)))


@dataclasses.dataclass(frozen=True)
class Request:
    """A signed request to send with your own HTTP stack: `POST url(base)` with `headers` and
    `body`."""

    path: str
    headers: Dict[str, str]
    body: bytes
    sign: str
    canonical: str

    def url(self, base_url: str = PRODUCTION_URL) -> str:
        return base_url.rstrip("/") + self.path


def build_request(
    endpoint: Optional[str],
    record: RecordLike,
    files: Optional[Mapping[str, FileLike]] = None,
    *,
    app_secret: str,
    app_id: Optional[str] = None,
    api_type: Optional[str] = None,
    url_encoding: bool = False,
) -> Request:
    """Validates and signs a record without sending it (`endpoint` may be None for a typed
    record). Photos are hashed and their `*_hash` fields signed."""
    ep = _endpoint(record, endpoint)
    r = _pyun.build_request(ep, _record_json(record, ep), _files(files), app_secret, app_id, api_type, url_encoding)
    return Request(r["path"], {"Content-Type": r["content_type"]}, r["body"], r["sign"], r["canonical"])


@dataclasses.dataclass(frozen=True)
class PushResult:
    """An accepted push or, outside strict mode, an ignored one (then `diagnosis` says why).
    `to_json()` is the result as every face of pyun writes it (the C ABI's `out_result_json`,
    `pyun push --json`): durations in milliseconds."""

    endpoint: str
    outcome: str
    code: str
    message: str
    hint: Optional[str]
    seqno: Optional[str]
    http_status: int
    attempts: int
    elapsed_ms: int
    canonical: str
    sign: str
    diagnosis: Optional[Diagnosis]
    response: Dict[str, Any]
    # The contract's JSON, as a str or as the native object whose str() it is (written only
    # when `to_json` asks).
    _json: Union[str, _pyun.ResultJson] = dataclasses.field(default="", repr=False, compare=False)

    @property
    def accepted(self) -> bool:
        """True when the platform took the record (not merely answered 200 and ignored it)."""
        return self.outcome == "accepted"

    @property
    def elapsed(self) -> float:
        """Seconds from the first attempt to the answer, backoff included."""
        return self.elapsed_ms / 1000

    def to_json(self) -> str:
        """The result as the contract's JSON text, byte for byte what C and the CLI write."""
        return str(self._json)

    def to_dict(self) -> Dict[str, Any]:
        """The result as a dict of plain values (the JSON of `to_json`, parsed)."""
        parsed: Dict[str, Any] = json.loads(self.to_json())
        return parsed

    @classmethod
    def _from_native(cls, d: Dict[str, Any], text: "_pyun.ResultJson") -> "PushResult":
        """The result of `_pyun.Client.push`: its dict holds exactly the fields (the contract's
        JSON keys, `tests/test_client.py` checks it). The instance's `__dict__` is that dict:
        the frozen dataclass's `__init__` (one `object.__setattr__` per field) was ~3 µs of a
        push."""
        d["diagnosis"] = Diagnosis._from(d["diagnosis"]) if d["diagnosis"] else None
        d["_json"] = text
        result = object.__new__(cls)
        object.__setattr__(result, "__dict__", d)
        return result


class Client:
    """A client for one parking lot and secret. Thread-safe: share one between threads.

    Retries (with exponential backoff and jitter) only on network errors, timeouts and HTTP
    500/503: the platform drops a repeated `parking_serial` / `flow_no`, so a resent record is
    never counted twice. `strict=True` (for integration) turns the platform's "200 + hint"
    (ignored, usually a signature problem) into an `ApiError`; in production it is returned
    with a `diagnosis`, so one bad record cannot block a queue.

    A `user:password@` in `base_url` (a gateway with basic auth) is sent as an `Authorization`
    header and appears in no message, log or `repr`. `ca_file` names a PEM file of extra CA
    certificates to trust besides Mozilla's roots (a network that re-signs TLS); an untrusted
    certificate raises `TransportError` with kind "tls", and is not retried.
    """

    def __init__(
        self,
        app_secret: str,
        base_url: str = PRODUCTION_URL,
        app_id: Optional[str] = None,
        api_type: Optional[str] = None,
        timeout: float = 30.0,
        connect_timeout: float = 10.0,
        retries: int = 3,
        backoff: float = 0.2,
        proxy: Optional[str] = None,
        strict: bool = False,
        url_encoding: bool = False,
        ca_file: Optional[str] = None,
    ) -> None:
        if retries < 0:
            raise ConfigError(f"retries must be >= 0, not {retries}")
        self._native = _pyun.Client(
            app_secret, base_url, app_id, api_type, float(timeout), float(connect_timeout), int(retries),
            float(backoff), proxy, bool(strict), bool(url_encoding), ca_file,
        )

    def __repr__(self) -> str:
        return repr(self._native)

    def close(self) -> None:
        """Releases the connection pool; later calls raise ConfigError. Idempotent."""
        self._native = cast(_pyun.Client, _Closed("Client"))  # any use raises ConfigError

    def __enter__(self) -> "Client":
        return self

    def __exit__(
        self, kind: Optional[Type[BaseException]], value: Optional[BaseException], tb: Optional[TracebackType]
    ) -> None:
        self.close()

    def push(self, endpoint: Optional[str], record: RecordLike, files: Optional[Mapping[str, FileLike]] = None) -> PushResult:
        """Validates, signs and sends a record. Raises `ValidationError` (nothing sent),
        `FileError`, `ApiError` (the platform refused it) or `TransportError`."""
        ep = _endpoint(record, endpoint)
        # A plain dict goes as it is: the native side reads its values without a JSON round trip.
        rec = record if type(record) is dict else _record_json(record, ep)
        return PushResult._from_native(*self._native.push(ep, rec, _files(files)))

    def push_enter(self, record: Union[EnterRecord, Mapping[str, Any]], files: Optional[Mapping[str, FileLike]] = None) -> PushResult:
        """`enter_image_file` / `enter_plate_image_file` may be given in `files`."""
        return self.push("enter", record, files)

    def push_leave(self, record: Union[LeaveRecord, Mapping[str, Any]], files: Optional[Mapping[str, FileLike]] = None) -> PushResult:
        """All four `*_image_file` fields may be given in `files`."""
        return self.push("leave", record, files)

    def push_release(self, record: Union[ReleaseRecord, Mapping[str, Any]], files: Optional[Mapping[str, FileLike]] = None) -> PushResult:
        return self.push("release", record, files)

    def push_update(self, record: Union[UpdateRecord, Mapping[str, Any]]) -> PushResult:
        return self.push("update", record)


class Outbox:
    """A durable queue on a SQLite file: a record is on disk before `enqueue` returns, and is
    delivered (oldest first, enter before leave for one serial) by `drain`. Records the
    platform refused become dead letters with its answer; fix the cause and `retry_dead`.
    Network and TLS failures, 5xx, 429 and answers that are not the platform's (a proxy's or
    captive portal's page, a redirect) never dead-letter a record: it stays pending."""

    def __init__(
        self,
        path: Union[str, "os.PathLike[str]"],
        carry_enter_fields: bool = False,
        audit_days: float = 30.0,
        max_backoff: float = 300.0,
        allow_network_share: bool = False,
        accept_fresh_start: bool = False,
    ) -> None:
        """`max_backoff`: the longest wait, in seconds, before a failed record is tried again
        (the wait doubles from 1 s, or from `max_backoff` when that is shorter).
        `allow_network_share`: open an outbox on a network share anyway (refused otherwise with
        NetworkShareError: WAL's guarantees do not hold there). `accept_fresh_start`: only when
        an operator decided it, after OutboxUnverifiedError: take the database as complete and
        give it a new side file (never pass it by default)."""
        self._native = _pyun.Outbox(
            os.fspath(path),
            bool(carry_enter_fields),
            float(audit_days),
            float(max_backoff),
            bool(allow_network_share),
            bool(accept_fresh_start),
        )
        self._senders: List[Sender] = []

    def enqueue(self, endpoint: Optional[str], record: RecordLike, files: Optional[Mapping[str, FileLike]] = None) -> int:
        """Validates and stores a record (photos copied in); returns its id once on disk."""
        ep = _endpoint(record, endpoint)
        # A plain dict goes as it is: the native side reads its values without a JSON round trip.
        rec = record if type(record) is dict else _record_json(record, ep)
        return self._native.enqueue(ep, rec, _files(files))

    def drain(self, client: Client) -> Dict[str, Any]:
        """Delivers what is due; returns {accepted, dead, retried, pending, last_error, paused,
        offline, interrupted, result}: `last_error` is why the last retried attempt failed,
        `paused` (else None) why delivery is paused (records in a row refused the same way, e.g.
        401 for a wrong secret), `offline` (else None) why it stopped at a connection-level
        failure (the rest not tried, delivery held for a backoff), `result` one of delivered,
        pending, refused, paused."""
        return self._native.drain(client._native)

    def counts(self) -> Dict[str, int]:
        """{pending, in_flight, done, dead}."""
        return self._native.counts()

    def dead_letters(self) -> List[Dict[str, Any]]:
        return self._native.dead_letters()

    def retry_dead(self, id: Optional[int] = None) -> int:
        """Re-queues one dead letter, or all; returns how many."""
        return self._native.retry_dead(id)

    def start_sender(self, client: Client, poll: float = 5.0) -> Sender:
        """Starts delivering in the background through `client`: a record enqueued through
        this outbox is sent at once (no polling delay); records another process enqueues into
        the same file are found every `poll` seconds. Use it as a context manager, or call
        `stop()`; `close()` stops it too. Several outboxes and senders may run in one process."""
        sender = Sender(self._native.start_sender(client._native, float(poll)))
        self._senders.append(sender)
        return sender

    def record(self, id_or_key: Union[int, str]) -> List[RecordStatus]:
        """What happened to a record: by its id (a list of one, or empty), or by its
        `parking_serial` / `flow_no` (an enter and its leave share a serial)."""
        if isinstance(id_or_key, int):
            found = self._native.record(id_or_key)
            return [RecordStatus._from(found)] if found else []
        return [RecordStatus._from(d) for d in self._native.find(str(id_or_key))]

    def list(self, state: Optional[str] = None, limit: int = 1000) -> List[RecordStatus]:
        """Records oldest first: all, or those "pending", "done" or "dead"."""
        return [RecordStatus._from(d) for d in self._native.list(state, int(limit))]

    def head(self) -> Optional[RecordStatus]:
        """The pending record delivered next, with why it waits (`last_error`,
        `next_attempt_ms`), or None."""
        d = self._native.head()
        return RecordStatus._from(d) if d else None

    def events(self, after: int = 0, limit: int = 1000) -> List[Event]:
        """Delivery events after position `after`, in order: keep the last `seq` you handled
        (in your own database) and pass it next time. They survive restarts."""
        return [Event._from(d) for d in self._native.events(int(after), int(limit))]

    def close(self) -> None:
        """Stops the senders started here (after their records in flight) and closes the
        database; later calls raise ConfigError. Idempotent."""
        for sender in self._senders:
            sender.stop()
        self._senders.clear()
        self._native = cast(_pyun.Outbox, _Closed("Outbox"))  # any use raises ConfigError

    def __enter__(self) -> "Outbox":
        return self

    def __exit__(
        self, kind: Optional[Type[BaseException]], value: Optional[BaseException], tb: Optional[TracebackType]
    ) -> None:
        self.close()

    def purge_done(self, older_than_days: Optional[float] = None) -> int:
        """Drops accepted records older than the audit period (or `older_than_days`; 0 drops
        them all); returns how many. More days than a duration can hold, or `inf`, keeps them
        all, as `audit_days` does; a negative number or NaN raises ConfigError."""
        return self._native.purge_done(older_than_days)
