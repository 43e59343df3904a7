"""The binding contract seen from three faces: the same push's result JSON from the C ABI (the
built libpyun.so through ctypes), from Python (`PushResult.to_json()`) and from `pyun push
--json` is the same text; and every failure kind has its exception class here."""
from __future__ import annotations

import ctypes
import json
import re
import subprocess
from typing import Dict

import pyun
import pyun.errors
from conftest import DATA, PYUN_BIN, REPO, SECRET, Sandbox, load, needs_cli

LIB = REPO / "target" / "release" / "libpyun.so"


def c_push(base_url: str, endpoint: str, record: Dict[str, object]) -> str:
    lib = ctypes.CDLL(str(LIB))
    lib.pyun_client_new.argtypes = [ctypes.c_char_p, ctypes.c_uint32, ctypes.POINTER(ctypes.c_void_p)]
    lib.pyun_client_push.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p,
                                     ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_void_p)]
    lib.pyun_client_free.argtypes = [ctypes.c_void_p]
    lib.pyun_string_free.argtypes = [ctypes.c_void_p]
    client = ctypes.c_void_p()
    config = json.dumps({"app_secret": SECRET, "base_url": base_url}).encode()
    assert lib.pyun_client_new(config, 0, ctypes.byref(client)) == 0
    outcome = ctypes.c_int()
    out = ctypes.c_void_p()
    try:
        code = lib.pyun_client_push(client, endpoint.encode(), json.dumps(record).encode(), None,
                                    ctypes.byref(outcome), ctypes.byref(out))
        assert code == 0, code
        text = ctypes.string_at(out.value).decode()
    finally:
        lib.pyun_string_free(out)
        lib.pyun_client_free(client)
    return text


def normalised(text: str) -> str:
    """The result text with what differs from one push to the next (the platform's log id, the
    time taken) put to fixed values; everything else, key order included, as written."""
    text = re.sub(r'"seqno":"[^"]*"', '"seqno":"S"', text)
    return re.sub(r'"elapsed_ms":\d+', '"elapsed_ms":0', text)


@needs_cli  # and libpyun.so
def test_a_push_result_is_the_same_json_from_c_python_and_the_cli(sandbox: Sandbox) -> None:
    record = load("enter.json")
    from_c = c_push(sandbox.url, "enter", record)
    from_python = pyun.Client(SECRET, base_url=sandbox.url).push("enter", record).to_json()
    cli = subprocess.run([str(PYUN_BIN), "--json", "push", "enter", str(DATA / "enter.json"), "--base-url",
                          sandbox.url, "--app-secret", SECRET], capture_output=True, text=True, timeout=60)
    assert cli.returncode == 0, cli.stderr
    from_cli = cli.stdout.strip()
    assert normalised(from_c) == normalised(from_python) == normalised(from_cli)
    result = json.loads(from_python)
    assert result["outcome"] == "accepted" and isinstance(result["elapsed_ms"], int)
    assert {"endpoint", "code", "message", "hint", "seqno", "canonical", "sign", "diagnosis"} <= set(result)


def test_every_failure_kind_has_its_exception_class() -> None:
    kinds = pyun._pyun.error_kinds()
    assert len(kinds) == len({c for _, c, _, _, _ in kinds}), "one C number per kind"
    header = (REPO / "include" / "pyun.h").read_text()
    numbers = {int(n) for n in re.findall(r"PYUN_RESULT_[A-Z_]+ = (\d+)", header)}
    for name, c_result, exit_code, json_kind, exception in kinds:
        cls = getattr(pyun.errors, exception)
        assert issubclass(cls, pyun.errors.PyunError), name
        assert c_result in numbers, (name, c_result)
        assert 1 <= exit_code <= 4 and json_kind, name
