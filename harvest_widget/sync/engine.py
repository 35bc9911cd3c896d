"""The local-first engine: every user operation lands in the cache and the outbox at once; `sync`
sends the outbox to Harvest in order and merges what the server says back into the cache.

Threading: an `Engine` is used from one thread at a time (the GUI's worker thread, or the CLI).
Local operations and reads touch only SQLite and return in milliseconds; the network methods
(`sign_in`, `refresh_*`, `sync`) block. Two processes on one home (widget + CLI) may each hold an
Engine on the same store: outbox operations are claimed atomically, so none is sent twice.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

from harvest_widget.api.backend import Backend
from harvest_widget.core.account import WhoAmI
from harvest_widget.core.timesheet import EntryChanges, EntryDraft, Project
from harvest_widget.store.database import Store
from harvest_widget.sync.snapshots import (
    ConflictAction,
    DaySnapshot,
    PendingOp,
    SyncReport,
    SyncStatus,
)


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Engine:
    """Local-first operations over a `Store`, synced through a `Backend`.

    `account_key` names the Harvest account+user in the cache (one store may hold several).
    `clock` returns the UTC wall time (for timestamps and throttle deadlines); `monotonic` measures
    running timers (never the wall clock, which jumps across sleep and clock changes).
    """

    def __init__(
        self,
        store: Store,
        backend: Backend,
        *,
        account_key: str,
        clock: Callable[[], dt.datetime] | None = None,
        monotonic: Callable[[], float] | None = None,
    ) -> None:
        self._store = store
        self._backend = backend
        self._account = account_key
        self._clock = clock or _utc_now
        self._monotonic = monotonic or time.monotonic

    # -- local operations: one transaction each, no network, return the new day at once --------

    def start_new(self, draft: EntryDraft) -> DaySnapshot:
        """Create an entry with its timer running (stopping any other timer in the cache)."""
        raise NotImplementedError

    def start(self, entry_id: int) -> DaySnapshot:
        """Start an existing entry's timer (stopping any other). On timestamp accounts Harvest
        starts a new entry with the same project/task/notes; the cache mirrors that at once."""
        raise NotImplementedError

    def stop(self, entry_id: int) -> DaySnapshot:
        """Stop the entry's timer; its hours become what the timer counted."""
        raise NotImplementedError

    def create(self, draft: EntryDraft) -> DaySnapshot:
        """Create an entry with hours (or start/end times on timestamp accounts); a draft without
        them starts a timer, like `start_new`."""
        raise NotImplementedError

    def edit(self, entry_id: int, changes: EntryChanges) -> DaySnapshot:
        """Change notes/hours/project/task/date; returns the day the entry is on afterwards."""
        raise NotImplementedError

    def delete(self, entry_id: int) -> DaySnapshot:
        raise NotImplementedError

    def resolve_conflict(self, op_id: int, action: ConflictAction) -> DaySnapshot:
        """Settle an operation in conflict or failed: "retry" sends it again as it is, "recreate"
        creates the entry anew from the cached copy (for an entry deleted elsewhere), "discard"
        drops the local change (the server's version wins at the next refresh)."""
        raise NotImplementedError

    # -- reads: cache only ------------------------------------------------------------------------

    def snapshot(self, date: dt.date | None = None) -> DaySnapshot:
        """The cached day (default: today in the user's Harvest time zone)."""
        raise NotImplementedError

    def today(self) -> dt.date:
        """Today in the user's Harvest time zone (UTC until signed in)."""
        raise NotImplementedError

    def projects(self) -> tuple[Project, ...]:
        """The projects/tasks the user may track to, from the most recent day read."""
        raise NotImplementedError

    def recent_combinations(self, limit: int = 5) -> tuple[tuple[Project, int, str], ...]:
        """The latest distinct (project, task id, notes) the user tracked, newest first."""
        raise NotImplementedError

    def note_suggestions(self, prefix: str, limit: int = 10) -> tuple[str, ...]:
        """Earlier notes starting with `prefix` (case-insensitive), most recent first."""
        raise NotImplementedError

    def status(self) -> SyncStatus:
        raise NotImplementedError

    def whoami(self) -> WhoAmI | None:
        """The cached user, or None before the first sign-in."""
        raise NotImplementedError

    def outbox(self) -> tuple[PendingOp, ...]:
        """Operations not yet on the server, oldest first (pending, in flight, conflict, failed)."""
        raise NotImplementedError

    def server_id(self, entry_id: int) -> int:
        """The server id a local (negative) id became, or `entry_id` itself."""
        raise NotImplementedError

    # -- network: blocking ------------------------------------------------------------------------

    def sign_in(self) -> WhoAmI:
        """Check the credentials with who_am_i and cache the user (raises `api.errors`)."""
        raise NotImplementedError

    def refresh_whoami(self) -> WhoAmI:
        return self.sign_in()

    def refresh_day(self, date: dt.date) -> DaySnapshot:
        """Read the day from the server and merge it (pending local changes win for their
        fields until sent). Raises `api.errors.HarvestError` when the read fails."""
        raise NotImplementedError

    def refresh_running(self) -> DaySnapshot:
        """Ask the server which timer runs (it may have been started or stopped elsewhere)."""
        raise NotImplementedError

    def sync(self, refresh: tuple[dt.date, ...] | None = None) -> SyncReport:
        """Drain the outbox in order, then refresh the given days (default: today and the days
        the drained operations touched). Never raises for Harvest errors: a throttle, an outage
        or wrong credentials pause the drain (see `SyncReport.status`); the next call resumes."""
        raise NotImplementedError
