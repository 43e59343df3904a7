"""The exceptions of pyun. The native module raises them from one place (`to_py_err`)."""
from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Tuple

from .diagnosis import Diagnosis


class PyunError(Exception):
    """Base of every pyun error."""

    @classmethod
    def _from_core(cls, message: str, details: str) -> "PyunError":
        exc = cls(message)
        for key, value in cls._convert(json.loads(details)).items():
            setattr(exc, key, value)
        return exc

    @staticmethod
    def _convert(details: Dict[str, Any]) -> Dict[str, Any]:
        return details


class ValidationError(PyunError, ValueError):
    """The record is invalid; nothing was sent. `problems` lists every (field, message)."""

    problems: List[Tuple[str, str]] = []

    @staticmethod
    def _convert(details: Dict[str, Any]) -> Dict[str, Any]:
        return {"problems": [(field, message) for field, message in details["problems"]]}


class SignatureError(PyunError):
    """A received push's signature does not verify."""


class ApiError(PyunError):
    """The platform answered and refused the record (or, with `strict=True`, ignored it: then
    `diagnosis` says why). `seqno` is what the platform's support asks for. With `outcome`
    "rate_limited" (HTTP 429; `retry_after_s` is what its Retry-After asked for) or
    "not_platform" (a proxy's or captive portal's answer, not the platform's) the record did
    not reach the platform: send it again later."""

    endpoint: str = ""
    code: str = ""
    message: str = ""
    hint: Optional[str] = None
    seqno: Optional[str] = None
    outcome: str = ""
    attempts: int = 0
    http_status: int = 0
    canonical: str = ""
    diagnosis: Optional[Diagnosis] = None
    retry_after_s: Optional[int] = None
    raw_body: Optional[str] = None
    response: Dict[str, Any] = {}

    @staticmethod
    def _convert(details: Dict[str, Any]) -> Dict[str, Any]:
        # The refusal's JSON as every face writes it (pyun_core::contract); its "error" is the
        # exception's own message.
        details = {k: v for k, v in details.items() if k != "error"}
        d = details.get("diagnosis")
        return {**details, "diagnosis": Diagnosis._from(d) if d else None}


class TransportError(PyunError):
    """No answer from the platform (connection, timeout, TLS) after the retries."""

    kind: str = ""
    retryable: bool = False
    attempts: int = 0


class ConfigError(PyunError, ValueError):
    """A bad argument or configuration: empty secret, bad URL, unknown endpoint."""


class FileError(PyunError, OSError):
    """A photo could not be read."""

    field: str = ""
    path: str = ""


class StoreError(PyunError):
    """The outbox database failed (disk full or read-only, damaged file); nothing was stored."""


class RecordsLostError(StoreError):
    """Opening an outbox found committed records missing from its database (its WAL journal
    was damaged, or an older copy of the file was put back). `lost` lists them:
    `{"id", "endpoint", "key"}` (endpoint and key None when unknown). Raised once: they are
    then dead letters whose error starts with "LOST", and the next open succeeds. Send them
    again from their source."""

    lost: List[Dict[str, Any]] = []


class OutboxUnverifiedError(StoreError):
    """The outbox cannot tell whether committed records were lost, so it was not opened: its
    side file `<db>-enqueued` (the evidence of every committed enqueue) is missing, damaged or
    unreadable, or belongs to another database (the database was deleted or replaced). `lost`
    lists what the side file names that the database lacks (`{"id", "endpoint", "key"}`; empty
    when it names nothing). Nothing was changed. An operator who knows the database is complete
    opens it once with `Outbox(path, accept_fresh_start=True)` (`pyun outbox accept-fresh-start`)."""

    lost: List[Dict[str, Any]] = []


class NetworkShareError(StoreError):
    """The outbox is on a network share (a UNC path, a mapped network drive, NFS, CIFS), where
    SQLite's WAL journal cannot keep its guarantees; nothing was created. Put it on a local disk,
    or open it with `allow_network_share=True`."""
