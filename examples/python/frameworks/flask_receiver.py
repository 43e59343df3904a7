"""Receiving the platform's pushes in a Flask service, on the route of your choice.

    pip install flask waitress
    PYUN_APP_SECRET=... waitress-serve --port 9000 flask_receiver:app

`pyun.receiver.Receiver.respond` verifies the push (any encoding), de-duplicates it, calls
`handle` once and gives the answer: `{"code":"1001"}` only when `handle` returned.
"""
from __future__ import annotations

import os
from typing import Any, Dict, List

from flask import Flask, Response, request

import pyun
import pyun.receiver

app = Flask(__name__)
receiver = pyun.receiver.Receiver(os.environ.get("PYUN_APP_SECRET", ""))
received: List[Dict[str, Any]] = []  # stands in for your database


def handle(push: pyun.ReceivedPush) -> None:
    received.append({"kind": push.kind, "key": push.key, **push.fields})


@app.post("/notify")
def notify() -> Response:
    status, body = receiver.respond(request.content_type, request.get_data(), handle)
    return Response(body, status=status, content_type="application/json")
