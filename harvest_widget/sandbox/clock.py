"""The sandbox's notion of "now": the wall clock for people, a hand-driven clock for tests.

Every rule in the sandbox (today in the user's zone, running hours, the throttle window, token
expiry) reads the clock it was given, so a test can move time without sleeping.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Protocol


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current instant as an aware UTC datetime."""
        ...


class WallClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class ManualClock:
    """A clock that moves only when told to (thread-safe; the server reads it from other threads)."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        moment = start if start is not None else dt.datetime.now(dt.UTC).replace(microsecond=0)
        self._now = _aware(moment)
        self._lock = threading.Lock()

    def now(self) -> dt.datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> dt.datetime:
        with self._lock:
            self._now += dt.timedelta(seconds=seconds)
            return self._now

    def set(self, moment: dt.datetime) -> None:
        with self._lock:
            self._now = _aware(moment)


def _aware(moment: dt.datetime) -> dt.datetime:
    """Naive datetimes are taken as UTC; aware ones are converted to UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)
