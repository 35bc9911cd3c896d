"""Immutable views of the cache that the engine hands to the GUI and the command line.

Every value here is a frozen dataclass, safe to send across threads. A snapshot never changes:
the caller asks the engine for a new one after each operation or sync.

Running time is not stored as a ticking number: `DaySnapshot.monotonic_at` is the
`time.monotonic()` reading at which the running entry's `hours` were true, so a display computes
`running_seconds(time.monotonic())` instead of accumulating ticks (and is not fooled by wall-clock
jumps).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from harvest_widget.core.account import WhoAmI
from harvest_widget.core.durations import hours_to_seconds
from harvest_widget.core.timesheet import Entry, Project
from harvest_widget.store.outbox import OpKind, OpState

EntryState = Literal["synced", "pending", "conflict", "failed"]
ConflictAction = Literal["retry", "recreate", "discard"]


@dataclass(frozen=True, slots=True)
class LocalEntry:
    """An entry as the cache holds it, with how far it is from the server.

    `state` is "synced" when no operation on it is waiting; "pending" while one is queued;
    "conflict" when the server says it is gone or locked (the user resolves it, see
    `Engine.resolve_conflict`); "failed" when the server refused a change (`message` says why).
    `op_id` is the outbox operation the state refers to (None when synced). Entries the server has
    not seen yet have a negative `entry.id`.
    """

    entry: Entry
    state: EntryState = "synced"
    message: str | None = None
    op_id: int | None = None

    @property
    def is_local_only(self) -> bool:
        return self.entry.id < 0


@dataclass(frozen=True, slots=True)
class SyncStatus:
    """How the outbox and the connection are doing, for the tray icon and `status`."""

    pending_ops: int = 0
    conflicts: int = 0
    last_sync_at: dt.datetime | None = None
    throttled_until: dt.datetime | None = None
    offline: bool = False
    auth_failed: bool = False
    last_error: str | None = None
    failed_ops: int = 0

    @property
    def is_clean(self) -> bool:
        """Everything the user did has reached the server and nothing needs their attention."""
        return not (self.pending_ops or self.conflicts or self.failed_ops)


@dataclass(frozen=True, slots=True)
class DaySnapshot:
    """One day as the cache holds it, plus the user's running timer (whatever its day).

    `entries[i].entry.hours` and `total_hours` are as of `monotonic_at`; use `running_seconds` and
    `total_seconds_at` to show a live figure.
    """

    date: dt.date
    entries: tuple[LocalEntry, ...]
    projects: tuple[Project, ...]
    total_hours: Decimal
    running: LocalEntry | None
    status: SyncStatus
    whoami: WhoAmI | None
    monotonic_at: float

    def running_seconds(self, monotonic_now: float) -> int | None:
        """The running timer's tracked seconds at `monotonic_now` (a `time.monotonic()` reading)."""
        if self.running is None:
            return None
        return hours_to_seconds(self.running.entry.hours) + _elapsed_seconds(self.monotonic_at, monotonic_now)

    def total_seconds_at(self, monotonic_now: float) -> int:
        """The day's total at `monotonic_now`, counting the running timer if it is on this day."""
        total = hours_to_seconds(self.total_hours)
        if self.running is None or self.running.entry.spent_on != self.date:
            return total
        return total + _elapsed_seconds(self.monotonic_at, monotonic_now)

    def entry(self, entry_id: int) -> LocalEntry | None:
        return next((e for e in self.entries if e.entry.id == entry_id), None)


@dataclass(frozen=True, slots=True)
class RecentCombination:
    """Something the user tracked lately, offered as a one-click start."""

    project_id: int
    task_id: int
    notes: str
    project_name: str = ""
    task_name: str = ""
    client_name: str = ""


@dataclass(frozen=True, slots=True)
class PendingOp:
    """One operation still in the outbox, for listing and conflict resolution."""

    op_id: int
    kind: OpKind
    entry_id: int
    state: OpState
    attempts: int
    last_error: str | None
    created_at: dt.datetime
    summary: str


@dataclass(frozen=True, slots=True)
class SyncReport:
    """What one `Engine.sync()` call did.

    `sent` operations reached the server (or were found there after a lost reply); `conflicts` and
    `failed` are operations that now wait for the user; `pending` are still queued because the
    drain paused (throttle, offline, wrong credentials: see `status`).
    """

    sent: int
    conflicts: int
    failed: int
    pending: int
    refreshed: tuple[dt.date, ...]
    status: SyncStatus

    @property
    def complete(self) -> bool:
        """Every queued operation reached the server."""
        return self.pending == 0 and self.conflicts == 0 and self.failed == 0


def _elapsed_seconds(since: float, now: float) -> int:
    return max(0, round(now - since))
