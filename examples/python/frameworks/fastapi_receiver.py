"""Receiving the platform's pushes in a FastAPI service: the ASGI adapter mounted at /notify.

    pip install fastapi uvicorn
    PYUN_APP_SECRET=... uvicorn fastapi_receiver:app --port 9000

`pyun.receiver.asgi_app` verifies each push (any encoding), de-duplicates it, awaits `handle`
once and acknowledges with `{"code":"1001"}` only when it returned.
"""
from __future__ import annotations

import os
from typing import Any, Dict, List

from fastapi import FastAPI

import pyun
import pyun.receiver

received: List[Dict[str, Any]] = []  # stands in for your database


async def handle(push: pyun.ReceivedPush) -> None:
    received.append({"kind": push.kind, "key": push.key, **push.fields})


app = FastAPI()
app.mount("/notify", pyun.receiver.asgi_app(handle, os.environ.get("PYUN_APP_SECRET", "")))
