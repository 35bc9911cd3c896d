"""Keep every caller of one Harvest account under the account's throttle.

Harvest blocks an account that sends more than `max_calls` calls in any `window_seconds` (100 in
15 s by default) with a 503 and a lockout that every further call prolongs. The limiter therefore:

- counts each call from the moment it is sent until `window + safety` seconds after its reply came
  back. Harvest counts arrival times, and a call arrives before its reply does, so measuring from the
  reply makes any latency (and any clock offset between us and Harvest) harmless; the small safety
  margin covers timer resolution and clock rate differences;
- records the lockout a 503/429 announced so that no caller sends anything before it ends;
- keeps both in one SQLite database (`BEGIN IMMEDIATE` serialises decisions), so the widget and the
  CLI share one budget when given the same file; the default is a private in-memory database.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

from harvest_widget.api.errors import ThrottledError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS call_slots (
    id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: a late `complete` cannot hit another call
    account TEXT NOT NULL,
    frees_at REAL NOT NULL      -- when this call stops counting (pessimistic while in flight)
);
CREATE INDEX IF NOT EXISTS call_slots_by_account ON call_slots (account, frees_at);
CREATE TABLE IF NOT EXISTS lockouts (account TEXT PRIMARY KEY, until REAL NOT NULL);
"""
# A call whose reply never came back (crashed process) stops counting after this long.
_IN_FLIGHT_SECONDS = 120.0
# Stamps further ahead than any call could set come from a clock that was put back. (Callers read
# the clock before taking the lock, so stamps of concurrent callers may be a little ahead: tolerated.)
_CLOCK_JUMP_SECONDS = 60.0
# Sleep in small steps, so a lockout or a freed slot from another process is noticed soon.
_MAX_NAP_SECONDS = 0.5


class SqliteWindowStore:
    """One account's call slots and lockout, in a SQLite file shared by processes (or in memory)."""

    def __init__(self, path: Path | str = ":memory:", account_key: str = "default") -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        self.account_key = account_key
        self._lock = threading.Lock()  # one connection, used by many threads of this process
        self._db = sqlite3.connect(str(path), timeout=30.0, isolation_level=None, check_same_thread=False)
        with self._lock:
            self._db.executescript(_SCHEMA)

    def reserve(self, now: float, max_calls: int, horizon: float) -> tuple[int | None, float]:
        """Take a slot when the window has room and no lockout runs: (slot id, 0).

        Otherwise (None, seconds until a slot frees or the lockout ends).
        """
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                result = self._reserve(now, max_calls, horizon)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            return result

    def _reserve(self, now: float, max_calls: int, horizon: float) -> tuple[int | None, float]:
        account = self.account_key
        # Forget calls that no longer count, and stamps from a clock that has since gone back.
        self._db.execute(
            "DELETE FROM call_slots WHERE account = ? AND (frees_at <= ? OR frees_at > ?)",
            (account, now, now + horizon + _IN_FLIGHT_SECONDS + _CLOCK_JUMP_SECONDS),
        )
        row = self._db.execute("SELECT until FROM lockouts WHERE account = ?", (account,)).fetchone()
        if row is not None and row[0] > now:
            return None, row[0] - now
        frees = [
            r[0]
            for r in self._db.execute(
                "SELECT frees_at FROM call_slots WHERE account = ? ORDER BY frees_at", (account,)
            )
        ]
        if len(frees) >= max_calls:
            return None, frees[len(frees) - max_calls] - now
        cursor = self._db.execute(
            "INSERT INTO call_slots (account, frees_at) VALUES (?, ?)",
            (account, now + _IN_FLIGHT_SECONDS + horizon),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid, 0.0

    def complete(self, slot_id: int, frees_at: float) -> None:
        """The call's reply is in: it counts until `frees_at`."""
        with self._lock:
            self._db.execute("UPDATE call_slots SET frees_at = ? WHERE id = ?", (frees_at, slot_id))

    def lock_out_until(self, until: float) -> None:
        """Nothing may be sent before `until` (epoch seconds); an earlier end never shortens it."""
        with self._lock:
            self._db.execute(
                "INSERT INTO lockouts (account, until) VALUES (?, ?) "
                "ON CONFLICT (account) DO UPDATE SET until = max(until, excluded.until)",
                (self.account_key, until),
            )

    def locked_until(self) -> float | None:
        with self._lock:
            row = self._db.execute(
                "SELECT until FROM lockouts WHERE account = ?", (self.account_key,)
            ).fetchone()
        return None if row is None else float(row[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()


class SlidingWindowLimiter:
    """At most `max_calls` calls per `window_seconds` for one account, across threads and processes.

    `clock` is wall-clock epoch seconds (shared by processes, comparable with HTTP dates); tests pass
    a fake clock and sleep.
    """

    def __init__(
        self,
        max_calls: int = 100,
        window_seconds: float = 15.0,
        store: SqliteWindowStore | None = None,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        safety_seconds: float | None = None,
    ) -> None:
        self._store = store if store is not None else SqliteWindowStore()
        self._clock = clock
        self._sleep = sleep
        self._safety_seconds = safety_seconds
        self.max_calls = max_calls
        self.window_seconds = window_seconds
        self.set_limits(max_calls, window_seconds)

    def set_limits(self, max_calls: int, window_seconds: float) -> None:
        """Adopt the window Harvest reports (`rate_limit_status`: max_calls / timeframe_limit)."""
        if max_calls < 1 or window_seconds <= 0:
            raise ValueError("a rate limit needs at least one call per a positive number of seconds")
        self.max_calls = max_calls
        self.window_seconds = window_seconds

    @property
    def horizon(self) -> float:
        """How long after its reply a call still counts: the window plus the safety margin."""
        safety = self._safety_seconds
        if safety is None:
            safety = max(0.05, 0.01 * self.window_seconds)
        return self.window_seconds + safety

    def now(self) -> float:
        return self._clock()

    def acquire(self, max_wait: float | None = None) -> int:
        """Block until a call may be sent and return its slot; `release` it when the reply is in.

        Raises ThrottledError at once when the wait would exceed `max_wait` seconds.
        """
        while True:
            now = self._clock()
            slot, wait = self._store.reserve(now, self.max_calls, self.horizon)
            if slot is not None:
                return slot
            if max_wait is not None and wait > max_wait:
                raise ThrottledError(
                    "Harvest's call limit for this account is reached; try again in a moment.",
                    retry_at=dt.datetime.fromtimestamp(now + wait, dt.UTC),
                )
            self._sleep(min(max(wait, 0.001), _MAX_NAP_SECONDS))

    def release(self, slot: int) -> None:
        self._store.complete(slot, self._clock() + self.horizon)

    def lock_out_until(self, when: dt.datetime) -> None:
        """Harvest said "not before `when`": every caller of this account waits until then."""
        self._store.lock_out_until(when.timestamp())

    def locked_until(self) -> dt.datetime | None:
        """The end of the current lockout, or None when calls may go."""
        until = self._store.locked_until()
        if until is None or until <= self._clock():
            return None
        return dt.datetime.fromtimestamp(until, dt.UTC)
