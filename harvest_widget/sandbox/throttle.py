"""Harvest's throttle: at most `max_calls` per `window_seconds` per account, then a lockout.

Over the limit the account is locked out for `lockout_seconds`, and every call made during the
lockout starts it again ("the throttle is reset with each call"). The same counters feed
`/account/rate_limit_status`. Times come from the sandbox clock.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from collections import deque
from dataclasses import dataclass

from harvest_widget.sandbox.clock import Clock


@dataclass(frozen=True, slots=True)
class ThrottleState:
    count: int
    max_calls: int
    window_seconds: float
    lockout_seconds: float
    last_access_at: dt.datetime | None
    locked_until: dt.datetime | None


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    retry_after: int = 0  # whole seconds, rounded up; only when not allowed


class Throttle:
    def __init__(self, clock: Clock, max_calls: int = 100, window_seconds: float = 15.0) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._calls: dict[object, deque[dt.datetime]] = {}
        self._locked_until: dict[object, dt.datetime] = {}
        self._last_access: dict[object, dt.datetime] = {}
        self.max_calls = max_calls
        self.window_seconds = window_seconds

    @property
    def lockout_seconds(self) -> float:
        # A lockout at least as long as the window guarantees a fresh window when it lifts.
        return self.window_seconds

    def configure(self, max_calls: int, window_seconds: float) -> None:
        if max_calls < 1 or window_seconds <= 0:
            raise ValueError("the throttle needs at least 1 call per a positive number of seconds")
        with self._lock:
            self.max_calls = max_calls
            self.window_seconds = window_seconds
            self._calls.clear()
            self._locked_until.clear()

    def check(self, account: object) -> Verdict:
        """Count one call for `account` and say whether it may go through."""
        now = self._clock.now()
        lockout = dt.timedelta(seconds=self.lockout_seconds)
        with self._lock:
            self._last_access[account] = now
            until = self._locked_until.get(account)
            if until is not None and now < until:
                self._locked_until[account] = now + lockout
                return Verdict(False, math.ceil(self.lockout_seconds))
            calls = self._window(account, now)
            if len(calls) >= self.max_calls:
                self._locked_until[account] = now + lockout
                return Verdict(False, math.ceil(self.lockout_seconds))
            calls.append(now)
            return Verdict(True)

    def state(self, account: object) -> ThrottleState:
        now = self._clock.now()
        with self._lock:
            until = self._locked_until.get(account)
            return ThrottleState(
                count=len(self._window(account, now)),
                max_calls=self.max_calls,
                window_seconds=self.window_seconds,
                lockout_seconds=self.lockout_seconds,
                last_access_at=self._last_access.get(account),
                locked_until=until if until is not None and until > now else None,
            )

    def _window(self, account: object, now: dt.datetime) -> deque[dt.datetime]:
        calls = self._calls.setdefault(account, deque())
        horizon = now - dt.timedelta(seconds=self.window_seconds)
        while calls and calls[0] <= horizon:
            calls.popleft()
        return calls
