"""Fault injection: make the sandbox slow, wrong or silent on purpose.

A `Fault` says what goes wrong and for which requests (method, path regex, how many times). The
server asks `FaultSet.take(method, path)` once per request and applies what it gets:

- ``latency``: wait `seconds` before answering (combines with any other fault);
- ``status``: answer `status` with an HTML/JSON/XML/garbage/text body instead of handling the call
  (nothing changes on the server);
- ``malformed``: handle the call, then send a broken body with the real status;
- ``truncated``: handle the call, announce the full Content-Length, send half and close;
- ``reset``: drop the connection (TCP reset) before handling the call: nothing changes;
- ``drop_after_commit``: handle the call (the change is applied), then drop the connection.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast, get_args

FaultKind = Literal["status", "latency", "malformed", "truncated", "reset", "drop_after_commit"]
BodyFormat = Literal["html", "json", "xml", "garbage", "text"]

FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)
BODY_FORMATS: tuple[str, ...] = get_args(BodyFormat)

_CONTENT_TYPES: dict[str, str] = {
    "html": "text/html; charset=utf-8",
    "json": "application/json; charset=utf-8",
    "xml": "application/xml; charset=utf-8",
    "garbage": "application/octet-stream",
    "text": "text/plain; charset=utf-8",
}

GARBAGE = b"\x89\x00\xff\xfe<<{{ not a response \x00\x01\x02\xc3\x28 ]]>"


class FaultSpecError(ValueError):
    """A fault description (command line or control endpoint) does not make sense."""


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    status: int = 500
    body: str | None = None
    content_type: BodyFormat = "html"
    headers: Mapping[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    method: str | None = None
    path: str | None = None
    times: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise FaultSpecError(f"unknown fault kind {self.kind!r}; use one of {', '.join(FAULT_KINDS)}")
        if self.content_type not in BODY_FORMATS:
            raise FaultSpecError(
                f"unknown body format {self.content_type!r}; use one of {', '.join(BODY_FORMATS)}"
            )
        if not 100 <= self.status <= 599:
            raise FaultSpecError(f"status {self.status} is not an HTTP status")
        if self.path is not None:
            try:
                re.compile(self.path)
            except re.error as error:
                raise FaultSpecError(f"path {self.path!r} is not a regular expression: {error}") from None

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.path is None or re.search(self.path, path) is not None

    def status_body(self) -> tuple[bytes, str]:
        """The body and Content-Type a ``status`` fault answers with."""
        content_type = _CONTENT_TYPES[self.content_type]
        if self.body is not None:
            return self.body.encode(), content_type
        return _canned_body(self.content_type, self.status), content_type

    @classmethod
    def from_mapping(cls, spec: Mapping[str, Any]) -> Fault:
        """Build a fault from JSON (control endpoint) or `key=value` pairs (command line)."""
        known = {"kind", "status", "body", "content_type", "headers", "seconds", "method", "path", "times"}
        unknown = set(spec) - known
        if unknown:
            raise FaultSpecError(f"unknown fault field(s): {', '.join(sorted(unknown))}")
        if "kind" not in spec:
            raise FaultSpecError("a fault needs a kind")
        try:
            headers = spec.get("headers") or {}
            if not isinstance(headers, Mapping):
                raise FaultSpecError("headers must be an object of name: value")
            times = spec.get("times")
            return cls(
                kind=cast(FaultKind, str(spec["kind"])),
                status=int(spec.get("status", 500)),
                body=None if spec.get("body") is None else str(spec["body"]),
                content_type=cast(BodyFormat, str(spec.get("content_type", "html"))),
                headers={str(k): str(v) for k, v in headers.items()},
                seconds=float(spec.get("seconds", 0.0)),
                method=None if spec.get("method") is None else str(spec["method"]).upper(),
                path=None if spec.get("path") is None else str(spec["path"]),
                times=None if times is None else int(times),
            )
        except (TypeError, ValueError) as error:
            if isinstance(error, FaultSpecError):
                raise
            raise FaultSpecError(f"bad fault field: {error}") from None

    @classmethod
    def parse(cls, text: str) -> Fault:
        """Parse the command line form: ``kind=status,status=502,content_type=html,path=^/daily``.

        A bare word is the kind (``reset``); ``latency=0.5`` is a latency fault of 0.5 s.
        """
        spec: dict[str, Any] = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            key, sep, value = part.partition("=")
            if not sep:
                spec["kind"] = key
            elif key == "latency":
                spec.update(kind="latency", seconds=value)
            else:
                spec[key] = value
        return cls.from_mapping(spec)

    def describe(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "status": self.status,
            "body": self.body,
            "content_type": self.content_type,
            "headers": dict(self.headers),
            "seconds": self.seconds,
            "method": self.method,
            "path": self.path,
            "times": self.times,
        }


def _canned_body(body_format: str, status: int) -> bytes:
    if body_format == "html":
        return (
            f"<html>\r\n<head><title>{status} Bad Gateway</title></head>\r\n<body>\r\n"
            f"<center><h1>{status} Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
            "</body>\r\n</html>\r\n"
        ).encode()
    if body_format == "json":
        return f'{{"error": "sandbox fault", "status": {status}}}'.encode()
    if body_format == "xml":
        return (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<error><status type="integer">{status}</status>'
            "<message>sandbox fault</message></error>\n"
        ).encode()
    if body_format == "garbage":
        return GARBAGE
    return f"sandbox fault {status}\n".encode()


class FaultSet:
    """The faults in force; thread-safe. `times` counts the requests a fault has yet to hit."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[list[Any]] = []  # [Fault, remaining or None]

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append([fault, fault.times])
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def active(self) -> list[Fault]:
        with self._lock:
            return [cast(Fault, f) for f, _ in self._faults]

    def take(self, method: str, path: str) -> list[Fault]:
        """The faults that hit this request, each using up one of its `times`."""
        hits: list[Fault] = []
        with self._lock:
            for slot in self._faults:
                fault = cast(Fault, slot[0])
                if fault.matches(method, path):
                    hits.append(fault)
                    if slot[1] is not None:
                        slot[1] -= 1
            self._faults = [slot for slot in self._faults if slot[1] is None or slot[1] > 0]
        return hits
