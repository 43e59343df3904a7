"""What the outbox reports about delivery: a record's status, delivery events, and the
background sender's handle."""
from __future__ import annotations

import dataclasses
from types import TracebackType
from typing import Any, Dict, Optional, Type

from .errors import ConfigError


@dataclasses.dataclass(frozen=True)
class RecordStatus:
    """A record in the outbox. `state` is "pending", "in_flight" (being sent by this
    process), "paused" (pending while delivery is paused), "done" (accepted) or "dead"
    (refused for good). Times are ms since 1970."""

    id: int
    endpoint: str
    key: str
    state: str
    attempts: int
    created_ms: int
    next_attempt_ms: Optional[int]
    finished_ms: Optional[int]
    last_error: Optional[str]
    seqno: Optional[str]
    response: Optional[str]
    diagnosis: Optional[str]

    @classmethod
    def _from(cls, d: Dict[str, Any]) -> "RecordStatus":
        return cls(**d)


@dataclasses.dataclass(frozen=True)
class Event:
    """A delivery event: "accepted" (with the platform's `seqno`), "dead" (refused for good,
    or found lost; `reason` says why) or "requeued" (a dead letter put back in the queue).
    `seq` is its position: keep the last one handled and pass it to `Outbox.events`."""

    seq: int
    kind: str
    record_id: int
    endpoint: str
    key: str
    at_ms: int
    seqno: Optional[str]
    reason: Optional[str]

    @classmethod
    def _from(cls, d: Dict[str, Any]) -> "Event":
        return cls(**d)


class Sender:
    """The outbox's background sender, from `Outbox.start_sender`. It delivers a record as
    soon as it is enqueued through that outbox, backs off on failures, and `stop()` (or the end
    of a `with` block) finishes the record in flight; records never sent stay pending."""

    def __init__(self, native: Any) -> None:
        self._native = native

    @property
    def running(self) -> bool:
        return bool(self._native.running)

    @property
    def failure(self) -> Optional[str]:
        """Why the sender ended on its own (an internal error inside pyun, logged), or None:
        it is not restarted behind your back; start a new one."""
        failure: Optional[str] = self._native.failure
        return failure

    def stop(self) -> None:
        """Stops after the record in flight and waits for the thread (the GIL is released)."""
        self._native.stop()

    def __enter__(self) -> "Sender":
        return self

    def __exit__(
        self, kind: Optional[Type[BaseException]], value: Optional[BaseException], tb: Optional[TracebackType]
    ) -> None:
        self.stop()


class _Closed:
    """Stands in for the native object of a closed `Client` or `Outbox`: any use is a clear
    error instead of a crash or a silent reopen."""

    def __init__(self, what: str) -> None:
        self._what = what

    def __getattr__(self, name: str) -> Any:
        raise ConfigError(f"this {self._what} is closed")

    def __repr__(self) -> str:
        return f"<closed {self._what}>"
