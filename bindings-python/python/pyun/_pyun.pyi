"""The native module. Use the `pyun` package instead: it wraps these in typed classes."""
from os import PathLike
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from typing_extensions import final

__all__ = [
    "sign", "canonical_string", "verify_rule", "parse_form", "parse_push", "sign_push", "record_fields",
    "explain", "build_request", "Client", "Outbox", "__version__", "ACK_BODY",
]
__version__: str
ACK_BODY: str

_FileArg = Tuple[str, Optional[str], Optional[bytes]]

def sign(fields: Mapping[str, str], app_secret: str) -> str: ...
def canonical_string(fields: Mapping[str, str]) -> str: ...
def verify_rule(fields: Mapping[str, str], app_secret: str) -> Optional[str]: ...
def parse_form(body: bytes) -> List[Tuple[str, str]]: ...
def parse_push(kind: str, fields: Mapping[str, str], app_secret: str) -> Dict[str, Any]: ...
def sign_push(
    fields: Mapping[str, str], app_secret: str, app_id: str, timestamp: Optional[int] = None
) -> List[Tuple[str, str]]: ...
def record_fields(endpoint_name: str) -> Tuple[List[str], List[str]]: ...
def explain(hint: str, record_json: str, endpoint_name: Optional[str] = None, files_arg: List[Tuple[str, Optional[str], Optional[bytes]]] = ...) -> Dict[str, Any]: ...
def build_request(
    endpoint_name: str,
    record_json: str,
    files_arg: Sequence[_FileArg],
    app_secret: str,
    app_id: Optional[str] = None,
    api_type: Optional[str] = None,
    url_encoding: bool = False,
) -> Dict[str, Any]: ...

@final
class Client:
    def __new__(
        cls,
        app_secret: str,
        base_url: str,
        app_id: Optional[str],
        api_type: Optional[str],
        timeout: float,
        connect_timeout: float,
        retries: int,
        backoff: float,
        proxy: Optional[str],
        strict: bool,
        url_encoding: bool,
        ca_file: Optional[str],
    ) -> Client: ...
    def push(self, endpoint_name: str, record_json: str, files_arg: Sequence[_FileArg]) -> Dict[str, Any]: ...

@final
class Outbox:
    def __new__(
        cls, path: Union[str, PathLike[str]], carry_enter_fields: bool = False, audit_days: float = 30.0
    ) -> Outbox: ...
    def enqueue(self, endpoint_name: str, record_json: str, files_arg: Sequence[_FileArg]) -> int: ...
    def drain(self, client: Client) -> Dict[str, Any]: ...
    def counts(self) -> Dict[str, int]: ...
    def dead_letters(self) -> List[Dict[str, Any]]: ...
    def retry_dead(self, id: Optional[int] = None) -> int: ...
    def purge_done(self, older_than_days: Optional[float] = None) -> int: ...
