"""Every request the sandbox answered (or dropped), for tests to assert on."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LoggedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # names lower-cased
    body: bytes
    time: dt.datetime  # sandbox clock, when the request arrived
    status: int | None  # None when no response was sent (reset, drop_after_commit)


class RequestLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[LoggedRequest] = []

    def append(self, item: LoggedRequest) -> None:
        with self._lock:
            self._items.append(item)

    def items(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
