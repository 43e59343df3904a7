"""What a platform hint says about a request (the core's `explain`)."""
from __future__ import annotations

import dataclasses
from typing import Any, Dict, List, Optional


@dataclasses.dataclass(frozen=True)
class Diagnosis:
    """`cause` is one word (`wrong_secret`, `fields_differ`, `missing_parameter`, ...),
    `summary` one sentence; the rest says precisely what differs between what was sent and
    what the platform signed."""

    cause: str
    summary: str
    platform_canonical: Optional[str]
    local_canonical: str
    missing_parameter: Optional[str]
    only_local: List[str]
    only_platform: List[str]
    differing: List[Dict[str, Any]]

    @classmethod
    def _from(cls, d: Dict[str, Any]) -> "Diagnosis":
        values: Dict[str, Any] = {f.name: d.get(f.name) for f in dataclasses.fields(cls)}
        return cls(**values)
