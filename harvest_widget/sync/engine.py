"""The local-first engine: every user operation lands in the cache and the outbox at once; `sync`
sends the outbox to Harvest in order (see `drain`) and merges what the server says back into the
cache (see `merge`).

Threading: an `Engine` is used from one thread at a time (the GUI's worker thread, or the CLI).
Local operations and reads touch only SQLite and return in milliseconds; the network methods
(`sign_in`, `refresh_*`, `sync`) block. Two processes on one home (widget + CLI) may each hold an
Engine on the same store: outbox operations are claimed atomically, so none is sent twice.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import sqlite3
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from harvest_widget.api.backend import ActsForKnownUser, Backend, ReportsRateLimit
from harvest_widget.api.errors import AuthError, HarvestError, NetworkError, ServerError, ThrottledError
from harvest_widget.core.account import RateLimitStatus, TimerMode, WhoAmI
from harvest_widget.core.calendar import today_in
from harvest_widget.core.timesheet import ZERO_HOURS, Entry, EntryChanges, EntryDraft, Project
from harvest_widget.store import cache, outbox
from harvest_widget.store.cache import CachedEntry
from harvest_widget.store.database import Store
from harvest_widget.store.outbox import Op
from harvest_widget.sync import status
from harvest_widget.sync.drain import Drain, DrainResult
from harvest_widget.sync.merge import Merge, is_late_timer, touched_fields
from harvest_widget.sync.payloads import changes_payload, draft_payload
from harvest_widget.sync.running_time import RunningTime, span_hours
from harvest_widget.sync.snapshots import (
    ConflictAction,
    DaySnapshot,
    EntryState,
    LocalEntry,
    PendingOp,
    RecentCombination,
    SyncReport,
    SyncStatus,
)

log = logging.getLogger(__name__)
_T = TypeVar("_T")
_SEVERITY: dict[str, int] = {"synced": 0, "pending": 1, "failed": 2, "conflict": 3}
# The account's throttle window as Harvest last reported it (cache meta).
_RATE_LIMIT = "rate_limit"
# How long what Harvest said of the account (the user, the throttle window) is trusted before it is
# asked again: both change rarely, and asking costs calls every fresh process would spend.
_ACCOUNT_FACTS_FRESH = dt.timedelta(days=1)


class EngineError(ValueError):
    """A local operation was refused; the message is a sentence for the user. Nothing changed."""


class UnknownEntryError(EngineError, LookupError):
    def __init__(self, entry_id: int) -> None:
        super().__init__(f"There is no entry {entry_id} in the cache; refresh its day and try again.")
        self.entry_id = entry_id


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Engine:
    """Local-first operations over a `Store`, synced through a `Backend`.

    `account_key` names the Harvest account+user in the cache (one store may hold several).
    `clock` returns the UTC wall time (timestamps, throttle deadlines, claim leases); `monotonic`
    measures running timers (never the wall clock, which jumps across sleep and clock changes).
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
        self._time = RunningTime(self._clock, self._monotonic)
        self._merge = Merge(account_key, self._time)
        self._drain = Drain(store, backend, account_key, self._time, self._merge)
        self._rate_limit_known = False
        self._user_adopted = False

    @property
    def account_key(self) -> str:
        return self._account

    # -- local operations: one transaction each, no network, return the new day at once --------

    def start_new(self, draft: EntryDraft) -> DaySnapshot:
        """Create an entry with its timer running (stopping any other timer in the cache)."""
        return self.create(dataclasses.replace(draft, hours=None, ended_at=None))

    def create(self, draft: EntryDraft) -> DaySnapshot:
        """Create an entry with hours (or start/end times on timestamp accounts); a draft without
        them starts a timer, like `start_new`."""
        with self._store.transaction() as conn:
            local_id = cache.next_local_id(conn)
            now = self._clock()
            running = draft.starts_timer
            if running:
                self._merge.stop_running(conn, keep=None)
            hours = draft.hours if draft.hours is not None else span_hours(draft.started_at, draft.ended_at)
            entry = self._named(
                conn,
                Entry(
                    id=local_id,
                    spent_on=draft.spent_on,
                    project_id=draft.project_id,
                    task_id=draft.task_id,
                    hours=hours,
                    notes=draft.notes,
                    timer_started_at=now if running else None,
                    hours_without_timer=ZERO_HOURS if running else None,
                    started_at=draft.started_at,
                    ended_at=draft.ended_at,
                    created_at=now,
                    updated_at=now,
                ),
            )
            cache.put_entry(
                conn, self._account, self._time.anchored(entry) if running else CachedEntry(entry)
            )
            outbox.enqueue(conn, self._account, "create", local_id, draft_payload(draft), created_at=now)
        return self.snapshot(draft.spent_on)

    def start(self, entry_id: int) -> DaySnapshot:
        """Start an existing entry's timer (stopping any other). On timestamp accounts Harvest
        starts a new entry with the same project/task/notes; the cache mirrors that at once."""
        with self._store.transaction() as conn:
            source = self._cached(conn, entry_id).entry
            day = source.spent_on if source.is_running else self._start_locally(conn, source)
        return self.snapshot(day)

    def stop(self, entry_id: int) -> DaySnapshot:
        """Stop the entry's timer; its hours become what the timer counted."""
        with self._store.transaction() as conn:
            cached = self._cached(conn, entry_id)
            stopped = self._time.stopped(cached)
            if cached.entry.is_running:
                cache.put_entry(conn, self._account, CachedEntry(stopped))
                # If Harvest has not seen the start yet, its timer starts late: correct it on stop.
                late_start = is_late_timer(conn, self._account, stopped.id) or any(
                    op.kind in ("start", "create") for op in outbox.for_entry(conn, self._account, stopped.id)
                )
                payload = {"hours": str(stopped.hours), "correct": late_start}
                outbox.enqueue(conn, self._account, "stop", stopped.id, payload, created_at=self._clock())
        return self.snapshot(stopped.spent_on)

    def edit(self, entry_id: int, changes: EntryChanges) -> DaySnapshot:
        """Change notes/hours/project/task/date; returns the day the entry is on afterwards."""
        if changes.is_empty():
            raise EngineError("Nothing to change: give at least one of notes, hours, project, task or date.")
        with self._store.transaction() as conn:
            cached = self._cached(conn, entry_id)
            old = cached.entry
            if changes.hours is not None and old.is_running:
                raise EngineError("Stop the timer before changing its hours.")
            if old.is_locked and (changes.project_id or changes.task_id or changes.spent_on):
                raise EngineError(f"This entry is locked ({old.locked_reason or 'approved or closed'}).")
            new = dataclasses.replace(
                old,
                **{k: v for k, v in dataclasses.asdict(changes).items() if v is not None},
                updated_at=self._clock(),
            )
            if changes.project_id is not None or changes.task_id is not None:
                new = self._named(conn, new)
            cache.put_entry(conn, self._account, dataclasses.replace(cached, entry=new))
            ops = outbox.for_entry(conn, self._account, old.id)
            last = ops[-1] if ops else None
            if last is not None and last.kind in ("create", "update") and _untouched(last):
                outbox.replace_payload(conn, last.op_id, {**last.payload, **changes_payload(changes)})
            else:
                outbox.enqueue(
                    conn, self._account, "update", old.id, changes_payload(changes), created_at=self._clock()
                )
        return self.snapshot(new.spent_on)

    def delete(self, entry_id: int) -> DaySnapshot:
        with self._store.transaction() as conn:
            cached = self._cached(conn, entry_id)
            entry = cached.entry
            ops = outbox.for_entry(conn, self._account, entry.id)
            if ops and ops[0].kind == "create" and _untouched(ops[0]):
                # Harvest never saw it: forget it altogether.
                for op in ops:
                    self._drop(conn, op)
                cache.delete_entry(conn, self._account, entry.id)
            else:
                for op in ops:
                    if op.kind == "update" and _untouched(op):
                        outbox.complete(conn, op.op_id)
                cache.put_entry(conn, self._account, CachedEntry(self._time.stopped(cached), hidden=True))
                outbox.enqueue(conn, self._account, "delete", entry.id, {}, created_at=self._clock())
        return self.snapshot(entry.spent_on)

    def resolve_conflict(self, op_id: int, action: ConflictAction) -> DaySnapshot:
        """Settle an operation in conflict or failed: "retry" sends it again as it is, "recreate"
        creates the entry anew from the cached copy (for an entry deleted elsewhere), "discard"
        drops the local change (the server's version wins at the next refresh)."""
        with self._store.transaction() as conn:
            op = outbox.op(conn, op_id)
            if op is None or op.state not in ("conflict", "failed"):
                raise EngineError(f"Operation {op_id} is not waiting for a decision.")
            cached = cache.entry(conn, self._account, op.entry_id)
            day = cached.entry.spent_on if cached else self._today(cache.whoami(conn, self._account))
            if action == "retry":
                outbox.retry(conn, op_id)
            elif action == "discard":
                self._discard(conn, op, cached)
            elif action == "recreate":
                if cached is None or op.kind in ("create", "delete"):
                    raise EngineError("Only a change to an entry that is gone can be re-created.")
                self._recreate(conn, op, cached)
            else:
                raise EngineError(f"Unknown action {action!r}: use retry, recreate or discard.")
        return self.snapshot(day)

    def discard_unsynced(self) -> int:
        """Drop every change not yet on Harvest (pending, conflict and failed alike) and return how
        many there were: for signing out after the user confirmed losing them. Entries Harvest never
        saw leave the cache; the days of other changed entries are marked stale, so the next refresh
        shows Harvest's version. A change being sent at this very moment may still arrive."""
        with self._store.transaction() as conn:
            ops = outbox.unfinished(conn, self._account)
            for op in ops:
                if outbox.op(conn, op.op_id) is not None:  # not already dropped with its create
                    self._discard(conn, op, cache.entry(conn, self._account, op.entry_id))
        if ops:
            log.warning("discarded %d change(s) not yet on Harvest", len(ops))
        return len(ops)

    # -- reads: cache only ------------------------------------------------------------------------

    def snapshot(self, date: dt.date | None = None) -> DaySnapshot:
        """The cached day (default: today in the user's Harvest time zone)."""
        with self._store.reading() as conn:
            who = cache.whoami(conn, self._account)
            day = date or self._today(who)
            mono = self._monotonic()
            cached = cache.entries_on(conn, self._account, day)
            running_cached = cache.running_entries(conn, self._account)[:1]
            ids = [c.entry.id for c in (*cached, *running_cached)]
            states = _entry_states(outbox.concerning(conn, self._account, ids))
            entries = tuple(self._local(c, states, mono) for c in cached)
            running = self._local(running_cached[0], states, mono) if running_cached else None
            return DaySnapshot(
                date=day,
                entries=entries,
                projects=cache.projects(conn, self._account),
                total_hours=sum((e.entry.hours for e in entries), ZERO_HOURS),
                running=running,
                status=status.read(conn, self._account, self._clock()),
                whoami=who,
                monotonic_at=mono,
            )

    def today(self) -> dt.date:
        """Today in the user's Harvest time zone (UTC until signed in)."""
        return self._today(self.whoami())

    def projects(self) -> tuple[Project, ...]:
        """The projects/tasks the user may track to, from the most recent day read."""
        with self._store.reading() as conn:
            return cache.projects(conn, self._account)

    def recent_combinations(self, limit: int = 5) -> tuple[RecentCombination, ...]:
        """The latest distinct (project, task, notes) the user tracked, newest first."""
        with self._store.reading() as conn:
            return tuple(
                RecentCombination(
                    e.project_id, e.task_id, e.notes, e.project_name, e.task_name, e.client_name
                )
                for e in cache.recent_combinations(conn, self._account, limit)
            )

    def note_suggestions(self, prefix: str, limit: int = 10) -> tuple[str, ...]:
        """Earlier notes starting with `prefix` (case-insensitive), most recent first."""
        with self._store.reading() as conn:
            return tuple(cache.note_suggestions(conn, self._account, prefix, limit))

    def status(self) -> SyncStatus:
        with self._store.reading() as conn:
            return status.read(conn, self._account, self._clock())

    def whoami(self) -> WhoAmI | None:
        """The cached user, or None before the first sign-in."""
        with self._store.reading() as conn:
            return cache.whoami(conn, self._account)

    def outbox(self) -> tuple[PendingOp, ...]:
        """Operations not yet on the server, oldest first (pending, in flight, conflict, failed)."""
        with self._store.reading() as conn:
            return tuple(
                PendingOp(
                    op_id=op.op_id,
                    kind=op.kind,
                    entry_id=op.entry_id,
                    state=op.state,
                    attempts=op.attempts,
                    last_error=op.last_error,
                    created_at=op.created_at,
                    summary=_summary(op),
                )
                for op in outbox.unfinished(conn, self._account)
            )

    def server_id(self, entry_id: int) -> int:
        """The server id a local (negative) id became, or `entry_id` itself."""
        with self._store.reading() as conn:
            return self._resolved_id(conn, entry_id)

    def entry(self, entry_id: int) -> LocalEntry | None:
        """The cached entry with this server id or local id (also after the server gave it its own
        id), whatever its day; None when it is not cached or deleted locally. One lookup by the
        entries' primary key: as fast for an entry years old as for today's."""
        with self._store.reading() as conn:
            cached = cache.entry(conn, self._account, self._resolved_id(conn, entry_id))
            if cached is None or cached.hidden:
                return None
            states = _entry_states(outbox.concerning(conn, self._account, [cached.entry.id]))
            return self._local(cached, states, self._monotonic())

    # -- network: blocking ------------------------------------------------------------------------

    def sign_in(self, checked: WhoAmI | None = None) -> WhoAmI:
        """Check the credentials with who_am_i and cache the user (raises `api.errors`); `checked`
        is the user `connection.sign_in` has just read with these credentials, so it is not asked
        twice."""
        who = checked or self._call(self._backend.whoami)
        self._keep_user(who)
        self._rate_limit_known = False
        self._learn_rate_limit(ask=True)
        return who

    def refresh_day(self, date: dt.date) -> DaySnapshot:
        """Read the day from the server and merge it (pending local changes win for their
        fields until sent). Raises `api.errors.HarvestError` when the read fails."""
        day = self._call(lambda: self._backend.day(date))
        with self._store.transaction() as conn:
            if day.projects:
                cache.replace_projects(conn, self._account, day.projects)
            ops = outbox.unfinished(conn, self._account)
            touched = touched_fields(ops)
            seen = {e.id for e in day.entries}
            for server_entry in day.entries:
                self._merge.entry(conn, server_entry, touched)
            for cached in cache.entries_on(conn, self._account, date, include_hidden=True):
                if cached.entry.id > 0 and cached.entry.id not in seen and cached.entry.id not in touched:
                    cache.delete_entry(conn, self._account, cached.entry.id)  # deleted or moved elsewhere
            self._merge.keep_one_timer(conn)
            cache.mark_day_fetched(conn, self._account, date, self._clock())
        return self.snapshot(date)

    def refresh_running(self) -> DaySnapshot:
        """Ask the server which timer runs (it may have been started or stopped elsewhere)."""
        running = self._call(self._backend.find_running)
        with self._store.transaction() as conn:
            ops = outbox.unfinished(conn, self._account)
            touched = touched_fields(ops)
            if running is not None:
                self._merge.entry(conn, running, touched)
            for cached in cache.running_entries(conn, self._account):
                gone_quiet = running is None or cached.entry.id != running.id
                if gone_quiet and "hours" not in touched.get(cached.entry.id, ()):
                    # Stopped elsewhere: our hours are a guess until its day is read again.
                    cache.put_entry(conn, self._account, CachedEntry(self._time.stopped(cached)))
                    cache.mark_day_fetched(conn, self._account, cached.entry.spent_on, None)
            self._merge.keep_one_timer(conn)
        return self.snapshot(running.spent_on if running else None)

    def sync(self, refresh: Iterable[dt.date] | None = None) -> SyncReport:
        """Drain the outbox in order, then refresh the given days (default: today, stale days and
        the days the drained operations touched). Never raises for Harvest errors: a throttle, an
        outage or wrong credentials pause the drain (see `SyncReport.status`); the next call
        resumes."""
        ready = self._refresh_stale_user() and self._learn_rate_limit()
        self._adopt_known_user()
        drained = self._drain.run() if ready else DrainResult(paused=True)
        refreshed: list[dt.date] = []
        if not drained.paused:
            with self._store.transaction() as conn:
                cache.set_meta(conn, self._account, status.LAST_SYNC_AT, self._clock().isoformat())
                stale = cache.stale_days(conn, self._account)
            wanted = set(refresh) if refresh is not None else {self.today(), *drained.days, *stale}
            for day in sorted(wanted):
                try:
                    self.refresh_day(day)
                except HarvestError as error:
                    log.info("refresh of %s paused: %s", day, error.message)
                    break
                refreshed.append(day)
        now = self.status()
        return SyncReport(
            sent=drained.sent,
            conflicts=now.conflicts,
            failed=now.failed_ops,
            pending=now.pending_ops,
            refreshed=tuple(refreshed),
            status=now,
        )

    def _keep_user(self, who: WhoAmI) -> None:
        with self._store.transaction() as conn:
            cache.put_whoami(conn, self._account, who, self._clock())

    def _refresh_stale_user(self) -> bool:
        """Read the user again when the cached one is older than a day (time zone, timer mode and
        week start change rarely, but they change). False when Harvest cannot be asked now."""
        known, fresh = self._cached_user()
        if known is None or fresh:
            return True
        try:
            self._keep_user(self._call(self._backend.whoami))
        except (ThrottledError, AuthError, NetworkError, ServerError):
            return False
        except HarvestError as error:
            log.info("Harvest did not say who the user is (%s); keeping the cached user", error.message)
        return True

    def _adopt_known_user(self) -> None:
        """Once per engine, hand a backend that needs the user the one cached within the last day, so
        a fresh process (each command-line call) does not spend two v2 calls asking again."""
        if self._user_adopted or not isinstance(self._backend, ActsForKnownUser):
            return
        known, fresh = self._cached_user()
        if known is None or not fresh:
            return
        self._backend.adopt_whoami(known)
        self._user_adopted = True

    def _cached_user(self) -> tuple[WhoAmI | None, bool]:
        """The cached user, and whether it was read from Harvest within `_ACCOUNT_FACTS_FRESH`."""
        with self._store.reading() as conn:
            known = cache.whoami(conn, self._account)
            read_at = cache.whoami_read_at(conn, self._account)
        return known, read_at is not None and self._clock() - read_at <= _ACCOUNT_FACTS_FRESH

    def _learn_rate_limit(self, *, ask: bool = False) -> bool:
        """Once per engine, make the shared limiter keep under the account's throttle window: the
        one Harvest reported within the last day (remembered in the cache), else ask Harvest
        (`ask`: ask anyway, as after sign-in; Harvest does not count this call against the window).
        False when Harvest cannot be asked now (offline, throttled, credentials refused: the pause
        flags say which), so a sync need not try the outbox as well."""
        backend = self._backend
        if self._rate_limit_known or not isinstance(backend, ReportsRateLimit):
            return True
        remembered = None if ask else self._remembered_rate_limit()
        if remembered is not None:
            backend.adopt_rate_limit(remembered)
            self._rate_limit_known = True
            return True
        try:
            limits = self._call(backend.rate_limit_status)
        except (ThrottledError, AuthError, NetworkError, ServerError):
            return False
        except HarvestError as error:
            log.info("Harvest did not tell its rate limit (%s); keeping the default", error.message)
        else:
            log.info("Harvest allows %d calls per %d s", limits.max_calls, limits.timeframe_seconds)
            learned = {"max_calls": limits.max_calls, "timeframe_seconds": limits.timeframe_seconds}
            with self._store.transaction() as conn:
                cache.set_meta(
                    conn, self._account, _RATE_LIMIT, json.dumps({**learned, "at": self._clock().isoformat()})
                )
        self._rate_limit_known = True
        return True

    def _remembered_rate_limit(self) -> RateLimitStatus | None:
        with self._store.reading() as conn:
            text = cache.meta(conn, self._account, _RATE_LIMIT)
        if text is None:
            return None
        learned = json.loads(text)
        if self._clock() - dt.datetime.fromisoformat(learned["at"]) > _ACCOUNT_FACTS_FRESH:
            return None
        return RateLimitStatus(
            count=0, max_calls=int(learned["max_calls"]), timeframe_seconds=int(learned["timeframe_seconds"])
        )

    def _call(self, request: Callable[[], _T]) -> _T:
        """Run a read against Harvest, keeping the pause flags in step with what it answered."""
        with self._store.reading() as conn:
            until = status.throttled_until(conn, self._account, self._clock())
        if until is not None:
            # WORKAROUND: every call during Harvest's lockout restarts it, so do not even try.
            raise ThrottledError(
                "Harvest is throttling this account; waiting before the next call.", retry_at=until
            )
        self._adopt_known_user()
        try:
            result = request()
        except ThrottledError as error:
            self._pause(status.THROTTLED_UNTIL, error.retry_at.isoformat(), error)
            raise
        except AuthError as error:
            self._pause(status.AUTH_FAILED, "1", error)
            raise
        except (NetworkError, ServerError) as error:
            self._pause(status.OFFLINE, "1", error)
            raise
        with self._store.transaction() as conn:
            status.clear(conn, self._account)
        return result

    def _pause(self, key: str, value: str, error: HarvestError) -> None:
        with self._store.transaction() as conn:
            status.pause(conn, self._account, key, value, error.message)

    # -- cache helpers ----------------------------------------------------------------------------

    def _start_locally(self, conn: sqlite3.Connection, source: Entry) -> dt.date:
        now = self._clock()
        self._merge.stop_running(conn, keep=None)
        payload: dict[str, Any] = {}
        started = source
        if self._timer_mode(conn) is TimerMode.TIMESTAMP:
            # Harvest cannot restart a timestamp timer: it starts a new entry like this one, today.
            payload = {"result_id": cache.next_local_id(conn)}
            started = dataclasses.replace(
                source,
                id=payload["result_id"],
                spent_on=self._today(cache.whoami(conn, self._account)),
                hours=ZERO_HOURS,
                started_at=None,
                ended_at=None,
                created_at=now,
                is_locked=False,
                locked_reason=None,
            )
        started = dataclasses.replace(
            started, timer_started_at=now, hours_without_timer=started.hours, updated_at=now
        )
        cache.put_entry(conn, self._account, self._time.anchored(started))
        outbox.enqueue(conn, self._account, "start", source.id, payload, created_at=now)
        return started.spent_on

    def _cached(self, conn: sqlite3.Connection, entry_id: int) -> CachedEntry:
        cached = cache.entry(conn, self._account, self._resolved_id(conn, entry_id))
        if cached is None or cached.hidden:
            raise UnknownEntryError(entry_id)
        return cached

    def _resolved_id(self, conn: sqlite3.Connection, entry_id: int) -> int:
        if entry_id < 0:
            return outbox.server_id(conn, self._account, entry_id) or entry_id
        return entry_id

    def _local(
        self, cached: CachedEntry, states: dict[int, tuple[EntryState, str | None, int]], mono: float
    ) -> LocalEntry:
        entry = self._time.live(cached, mono)
        state, message, op_id = states.get(entry.id, ("synced", None, 0))
        return LocalEntry(entry=entry, state=state, message=message, op_id=op_id or None)

    def _named(self, conn: sqlite3.Connection, entry: Entry) -> Entry:
        project = next((p for p in cache.projects(conn, self._account) if p.id == entry.project_id), None)
        if project is None:
            return entry
        task = project.task(entry.task_id)
        return dataclasses.replace(
            entry,
            project_name=project.name,
            client_name=project.client_name,
            task_name=task.name if task else entry.task_name,
        )

    def _timer_mode(self, conn: sqlite3.Connection) -> TimerMode:
        who = cache.whoami(conn, self._account)
        return who.timer_mode if who else TimerMode.DURATION

    def _today(self, who: WhoAmI | None) -> dt.date:
        return today_in(who.time_zone if who else "UTC", self._clock())

    def _discard(self, conn: sqlite3.Connection, op: Op, cached: CachedEntry | None) -> None:
        if op.kind == "create":
            for dependent in outbox.for_entry(conn, self._account, op.entry_id):
                self._drop(conn, dependent)
            cache.delete_entry(conn, self._account, op.entry_id)
            return
        self._drop(conn, op)
        if cached is not None:
            if op.kind == "delete":
                cache.put_entry(conn, self._account, dataclasses.replace(cached, hidden=False))
            cache.mark_day_fetched(conn, self._account, cached.entry.spent_on, None)

    def _drop(self, conn: sqlite3.Connection, op: Op) -> None:
        """Forget an op that will never be sent, with the local entry only it would have made."""
        outbox.complete(conn, op.op_id)
        result_id = op.payload.get("result_id") if op.kind == "start" else None
        if result_id is not None:
            for dependent in outbox.for_entry(conn, self._account, result_id):
                self._drop(conn, dependent)
            cache.delete_entry(conn, self._account, result_id)

    def _recreate(self, conn: sqlite3.Connection, op: Op, cached: CachedEntry) -> None:
        for superseded in outbox.for_entry(conn, self._account, op.entry_id):
            self._drop(conn, superseded)
        local_id = cache.next_local_id(conn)
        cache.change_entry_id(conn, self._account, op.entry_id, local_id)
        old = self._time.stopped(cached)
        draft = EntryDraft.copy_of(old)
        cache.put_entry(
            conn, self._account, CachedEntry(dataclasses.replace(old, id=local_id, is_locked=False))
        )
        outbox.enqueue(
            conn, self._account, "create", local_id, draft_payload(draft), created_at=self._clock()
        )


def _untouched(op: Op) -> bool:
    """Never claimed or tried: it can still be rewritten or dropped (we hold the write lock)."""
    return op.state == "pending" and op.attempts == 0 and not op.maybe_applied


def _entry_states(ops: list[Op]) -> dict[int, tuple[EntryState, str | None, int]]:
    states: dict[int, tuple[EntryState, str | None, int]] = {}
    for op in ops:
        state: EntryState = "pending" if op.state in ("pending", "in_flight") else op.state  # type: ignore[assignment]
        ids = {op.entry_id, op.payload.get("result_id", op.entry_id)}
        for entry_id in ids:
            current = states.get(entry_id)
            if current is None or _SEVERITY[state] > _SEVERITY[current[0]]:
                states[entry_id] = (state, op.last_error, op.op_id)
    return states


def _summary(op: Op) -> str:
    if op.kind in ("create", "update"):
        details = ", ".join(f"{k}={v}" for k, v in op.payload.items() if v not in (None, ""))
        return f"{op.kind} entry {op.entry_id}: {details}"
    return f"{op.kind} entry {op.entry_id}"
