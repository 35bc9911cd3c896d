"""Plain-`requests` helpers for talking to the sandbox the way any Harvest client would."""

from __future__ import annotations

import json
from typing import Any

import requests

from harvest_widget.sandbox import Sandbox

JSON_HEADERS = {"Accept": "application/json", "Content-Type": "application/json"}
XML_HEADERS = {"Accept": "application/xml", "Content-Type": "application/xml"}


def call(
    sandbox: Sandbox,
    method: str,
    path: str,
    *,
    user: str = "admin",
    fmt: str = "json",
    body: Any = None,
    params: dict[str, Any] | None = None,
    auth: Any = "basic",
    headers: dict[str, str] | None = None,
) -> requests.Response:
    """One request as `user` (Basic auth by default), in JSON or XML."""
    account = sandbox.users[user]
    all_headers = dict(JSON_HEADERS if fmt == "json" else XML_HEADERS)
    all_headers.update(headers or {})
    data: bytes | None = None
    if body is not None:
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    return requests.request(
        method,
        sandbox.url + path,
        params=params,
        data=data,
        headers=all_headers,
        auth=(account.email, account.password) if auth == "basic" else auth,
        timeout=10,
    )
