"""What the HTTP layer hands to a route table and what it gets back: plain values, no sockets."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Protocol

TEXT = "text/plain; charset=utf-8"
JSON = "application/json; charset=utf-8"
XML = "application/xml; charset=utf-8"


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str  # without the query string
    query: dict[str, str]  # last value wins for repeated names
    headers: dict[str, str]  # names lower-cased
    body: bytes
    peer: str  # the client's IP address

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name.lower(), default)


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    body: bytes = b""
    content_type: str = TEXT
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def text(cls, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
        return cls(status, (message + "\n").encode(), TEXT, headers or {})

    @classmethod
    def json(cls, status: int, value: Any, headers: dict[str, str] | None = None) -> Response:
        return cls(status, json.dumps(value).encode(), JSON, headers or {})


class Routes(Protocol):
    """A table of endpoints under some path prefixes (v1, OAuth, the control endpoint, v2...).

    The server picks the table with the longest prefix matching the path and calls `handle`;
    authentication and the throttle are the table's business (see `gate.Gate`).
    """

    @property
    def prefixes(self) -> tuple[str, ...]: ...

    @property
    def is_control(self) -> bool:
        """Control tables are neither logged nor faulted, so a fault can always be cleared remotely."""
        ...

    def handle(self, request: Request) -> Response: ...
