"""The local-first engine: every user operation lands in the cache and the outbox at once; `sync`
sends the outbox to Harvest in order and merges what the server says back into the cache.

Threading: an `Engine` is used from one thread at a time (the GUI's worker thread, or the CLI).
Local operations and reads touch only SQLite and return in milliseconds; the network methods
(`sign_in`, `refresh_*`, `sync`) block. Two processes on one home (widget + CLI) may each hold an
Engine on the same store: outbox operations are claimed atomically, so none is sent twice.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any, TypeVar

from harvest_widget.api.backend import Backend
from harvest_widget.api.errors import (
    AuthError,
    ForbiddenError,
    HarvestError,
    NetworkError,
    NotFoundError,
    ProtocolError,
    ServerError,
    ThrottledError,
)
from harvest_widget.core.account import TimerMode, WhoAmI
from harvest_widget.core.calendar import today_in
from harvest_widget.core.durations import seconds_to_hours
from harvest_widget.core.timesheet import ZERO_HOURS, Entry, EntryChanges, EntryDraft, Project, TimerResult
from harvest_widget.store import cache, outbox
from harvest_widget.store.cache import CachedEntry
from harvest_widget.store.database import Store
from harvest_widget.store.outbox import Op
from harvest_widget.sync.payloads import changes_from, changes_payload, draft_from, draft_payload
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

# A claim on an operation lasts this long (longer than any send, throttle waits included); a holder
# that dies is noticed at once on the same host.
_LEASE_SECONDS = 600.0
# A lost create is looked for among entries created from this long before it was queued (clock skew).
_CREATE_MATCH_SKEW = dt.timedelta(minutes=5)
# A timer whose start reached Harvest this late runs on local time, and its stop sends the hours
# measured here (Harvest's timer missed the time the start spent in the outbox).
_LATE_START = dt.timedelta(seconds=60)
_STOP_CORRECTION_HOURS = Decimal("0.02")
_LATE_TIMER = "late_timer:"
# A protocol error (2xx with an unreadable body) may mean the change happened: check, retry, give up.
_MAX_PROTOCOL_ATTEMPTS = 5
_PRECISE_HOURS = Decimal("0.000001")
_TIMER_FIELDS = ("hours", "hours_without_timer", "timer_started_at", "ended_at")
_CHANGED_FIELDS = {
    "notes": ("notes",),
    "hours": ("hours",),
    "project_id": ("project_id", "project_name", "client_name"),
    "task_id": ("task_id", "task_name"),
    "spent_on": ("spent_on",),
    "started_at": ("started_at",),
    "ended_at": ("ended_at",),
}
_SEVERITY: dict[str, int] = {"synced": 0, "pending": 1, "failed": 2, "conflict": 3}
_CLOCK_TIME = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*([ap]m)?\s*$", re.IGNORECASE)


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
        self._claimer = outbox.claimer_id(secrets.token_hex(4))

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
                self._stop_running_locally(conn, keep=None)
            hours = draft.hours if draft.hours is not None else _span_hours(draft.started_at, draft.ended_at)
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
            cache.put_entry(conn, self._account, self._anchored(entry) if running else CachedEntry(entry))
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
            stopped = self._stopped(cached)
            if cached.entry.is_running:
                cache.put_entry(conn, self._account, CachedEntry(stopped))
                # If Harvest has not seen the start yet, its timer starts late: correct it on stop.
                late_start = cache.meta(conn, self._account, f"{_LATE_TIMER}{stopped.id}") is not None or any(
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
                cache.put_entry(conn, self._account, CachedEntry(self._stopped(cached), hidden=True))
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
                status=self._status(conn),
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
            return self._status(conn)

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

    # -- network: blocking ------------------------------------------------------------------------

    def sign_in(self) -> WhoAmI:
        """Check the credentials with who_am_i and cache the user (raises `api.errors`)."""
        who = self._call(self._backend.whoami)
        with self._store.transaction() as conn:
            cache.put_whoami(conn, self._account, who, self._clock())
        return who

    def refresh_whoami(self) -> WhoAmI:
        return self.sign_in()

    def refresh_day(self, date: dt.date) -> DaySnapshot:
        """Read the day from the server and merge it (pending local changes win for their
        fields until sent). Raises `api.errors.HarvestError` when the read fails."""
        day = self._call(lambda: self._backend.day(date))
        with self._store.transaction() as conn:
            if day.projects:
                cache.replace_projects(conn, self._account, day.projects)
            ops = outbox.unfinished(conn, self._account)
            touched = _touched_fields(ops)
            seen = {e.id for e in day.entries}
            for server_entry in day.entries:
                self._merge(conn, server_entry, touched)
            for cached in cache.entries_on(conn, self._account, date, include_hidden=True):
                if cached.entry.id > 0 and cached.entry.id not in seen and cached.entry.id not in touched:
                    cache.delete_entry(conn, self._account, cached.entry.id)  # deleted or moved elsewhere
            self._keep_one_timer(conn)
            cache.mark_day_fetched(conn, self._account, date, self._clock())
        return self.snapshot(date)

    def refresh_running(self) -> DaySnapshot:
        """Ask the server which timer runs (it may have been started or stopped elsewhere)."""
        running = self._call(self._backend.find_running)
        with self._store.transaction() as conn:
            ops = outbox.unfinished(conn, self._account)
            touched = _touched_fields(ops)
            if running is not None:
                self._merge(conn, running, touched)
            for cached in cache.running_entries(conn, self._account):
                gone_quiet = running is None or cached.entry.id != running.id
                if gone_quiet and "hours" not in touched.get(cached.entry.id, ()):
                    # Stopped elsewhere: our hours are a guess until its day is read again.
                    cache.put_entry(conn, self._account, CachedEntry(self._stopped(cached)))
                    cache.mark_day_fetched(conn, self._account, cached.entry.spent_on, None)
            self._keep_one_timer(conn)
        return self.snapshot(running.spent_on if running else None)

    def sync(self, refresh: Iterable[dt.date] | None = None) -> SyncReport:
        """Drain the outbox in order, then refresh the given days (default: today, stale days and
        the days the drained operations touched). Never raises for Harvest errors: a throttle, an
        outage or wrong credentials pause the drain (see `SyncReport.status`); the next call
        resumes."""
        sent = conflicts = failed = 0
        days: set[dt.date] = set()
        paused = self._throttled()
        while not paused:
            with self._store.transaction() as conn:
                op = outbox.claim_next(
                    conn, self._account, self._claimer, self._clock().timestamp(), _LEASE_SECONDS
                )
                if op is not None:
                    cached = cache.entry(conn, self._account, op.entry_id)
                    if cached is not None:
                        days.add(cached.entry.spent_on)
            if op is None:
                break
            outcome, result_day = self._send(op)
            if result_day is not None:
                days.add(result_day)
            sent += outcome == "sent"
            conflicts += outcome == "conflict"
            failed += outcome == "failed"
            paused = outcome == "paused"
        refreshed: list[dt.date] = []
        if not paused:
            with self._store.transaction() as conn:
                cache.set_meta(conn, self._account, "last_sync_at", self._clock().isoformat())
                stale = cache.stale_days(conn, self._account)
            wanted = set(refresh) if refresh is not None else {self.today(), *days, *stale}
            for day in sorted(wanted):
                try:
                    self.refresh_day(day)
                except HarvestError as error:
                    log.info("refresh of %s paused: %s", day, error.message)
                    break
                refreshed.append(day)
        status = self.status()
        return SyncReport(
            sent=sent,
            conflicts=status.conflicts,
            failed=status.failed_ops,
            pending=status.pending_ops,
            refreshed=tuple(refreshed),
            status=status,
        )

    # -- sending one operation --------------------------------------------------------------------

    def _send(self, op: Op) -> tuple[str, dt.date | None]:
        """Send one claimed operation and record the outcome: "sent", "conflict", "failed" or
        "paused" (throttle/offline/credentials: the drain stops, the operation stays queued)."""
        try:
            result = self._deliver(op)
        except ThrottledError as error:
            self._settle(op, error, pause_key="throttled_until", pause_value=error.retry_at.isoformat())
            return "paused", None
        except AuthError as error:
            self._settle(op, error, pause_key="auth_failed", pause_value="1")
            return "paused", None
        except (NetworkError, ServerError) as error:
            maybe = error.maybe_applied if isinstance(error, NetworkError) else True
            self._settle(op, error, pause_key="offline", pause_value="1", maybe_applied=maybe)
            return "paused", None
        except ProtocolError as error:
            if op.attempts + 1 >= _MAX_PROTOCOL_ATTEMPTS:
                return self._park(op, "failed", error.message)
            self._settle(op, error, pause_key="last_error", pause_value=error.message, maybe_applied=True)
            return "paused", None
        except NotFoundError as error:
            if op.kind == "delete":
                result = None  # Already gone: what the user wanted.
            else:
                return self._park(op, "conflict", f"The entry is gone from Harvest ({error.message}).")
        except ForbiddenError as error:
            return self._park(op, "conflict", error.message)
        except HarvestError as error:
            return self._park(op, "failed", error.message)
        except BaseException:
            self._release_interrupted(op)
            raise
        try:
            return "sent", self._applied(op, result)
        except BaseException:
            self._release_interrupted(op)
            raise

    def _release_interrupted(self, op: Op) -> None:
        """Something other than Harvest broke mid-send: requeue the op, to be checked before resending."""
        with self._store.transaction() as conn:
            outbox.release(conn, op.op_id, "interrupted while sending", maybe_applied=True)

    def _deliver(self, op: Op) -> Entry | TimerResult | None:
        """The network half of an operation; checks the server first when a reply was lost."""
        if op.entry_id < 0 and op.kind != "create":
            raise HarvestError("Its entry was never created on Harvest.")
        if op.kind == "create":
            draft = draft_from(op.payload)
            if op.maybe_applied and (found := self._find_lost_create(op, draft)) is not None:
                log.info("op %d: the lost create reached Harvest as entry %d", op.op_id, found.id)
                return TimerResult(found)
            return self._backend.create(draft)
        if op.kind == "start":
            if op.maybe_applied:
                running = self._backend.find_running()
                if running is not None and self._is_result_of_start(op, running):
                    return TimerResult(running)
            return self._backend.start(op.entry_id)
        if op.kind == "stop":
            if op.maybe_applied:
                current = self._backend.entry(op.entry_id)
                if not current.is_running:
                    return current
            return self._backend.stop(op.entry_id)
        if op.kind == "update":
            return self._backend.update(op.entry_id, changes_from(op.payload))
        self._backend.delete(op.entry_id)
        return None

    def _find_lost_create(self, op: Op, draft: EntryDraft) -> Entry | None:
        day = self._backend.day(draft.spent_on)
        with self._store.reading() as conn:
            known = outbox.mapped_server_ids(conn, self._account)
        candidates = [
            e
            for e in day.entries
            if e.id not in known
            and e.project_id == draft.project_id
            and e.task_id == draft.task_id
            and e.notes.strip() == draft.notes.strip()
            and (e.created_at is None or e.created_at >= op.created_at - _CREATE_MATCH_SKEW)
            and (draft.hours is None or abs(e.hours - draft.hours) <= Decimal("0.01"))
            and (draft.started_at is None or e.started_at == draft.started_at)
        ]
        candidates.sort(key=lambda e: (e.created_at or op.created_at, e.id))
        return candidates[0] if candidates else None

    def _is_result_of_start(self, op: Op, running: Entry) -> bool:
        if running.id == op.entry_id:
            return True
        if "result_id" not in op.payload:
            return False
        with self._store.reading() as conn:
            source = cache.entry(conn, self._account, op.entry_id)
        return (
            source is not None
            and (running.project_id, running.task_id, running.notes)
            == (source.entry.project_id, source.entry.task_id, source.entry.notes)
            and (running.created_at is None or running.created_at >= op.created_at - _CREATE_MATCH_SKEW)
        )

    def _applied(self, op: Op, result: Entry | TimerResult | None) -> dt.date | None:
        """Merge the server's answer to a sent operation into the cache (one transaction)."""
        entry = result.entry if isinstance(result, TimerResult) else result
        with self._store.transaction() as conn:
            self._clear_pause_flags(conn)
            if entry is None:
                outbox.complete(conn, op.op_id)
                cache.delete_entry(conn, self._account, op.entry_id)
                return None
            local_id = op.entry_id if op.kind == "create" else op.payload.get("result_id")
            if local_id is not None and entry.id != local_id:
                outbox.remember_server_id(conn, self._account, local_id, entry.id)
                outbox.retarget(conn, self._account, local_id, entry.id)
                cache.change_entry_id(conn, self._account, local_id, entry.id)
            if op.kind == "stop" and self._needs_correction(conn, op, entry):
                # Harvest's timer started late (the start was queued offline): send what we measured.
                outbox.rewrite(conn, op.op_id, "update", {"hours": op.payload["hours"]})
            else:
                outbox.complete(conn, op.op_id)
            if (
                op.kind in ("create", "start")
                and entry.is_running
                and self._clock() - op.created_at > _LATE_START
            ):
                cache.set_meta(conn, self._account, f"{_LATE_TIMER}{entry.id}", op.created_at.isoformat())
            self._merge(conn, entry, _touched_fields(outbox.for_entry(conn, self._account, entry.id)))
            self._keep_one_timer(conn)
            return entry.spent_on

    def _needs_correction(self, conn: sqlite3.Connection, op: Op, server: Entry) -> bool:
        if not op.payload.get("correct") or self._timer_mode(conn) is TimerMode.TIMESTAMP:
            return False
        later_hours = any(
            o.kind == "update" and "hours" in o.payload and o.op_id != op.op_id
            for o in outbox.for_entry(conn, self._account, server.id)
        )
        return not later_hours and abs(server.hours - Decimal(op.payload["hours"])) > _STOP_CORRECTION_HOURS

    def _settle(
        self, op: Op, error: HarvestError, *, pause_key: str, pause_value: str, maybe_applied: bool = False
    ) -> None:
        log.info("op %d (%s) paused: %s", op.op_id, op.kind, error.message)
        with self._store.transaction() as conn:
            outbox.release(conn, op.op_id, error.message, maybe_applied=maybe_applied)
            cache.set_meta(conn, self._account, pause_key, pause_value)
            cache.set_meta(conn, self._account, "last_error", error.message)

    def _park(self, op: Op, state: str, message: str) -> tuple[str, dt.date | None]:
        log.warning("op %d (%s) needs the user: %s", op.op_id, op.kind, message)
        with self._store.transaction() as conn:
            outbox.park(conn, op.op_id, "conflict" if state == "conflict" else "failed", message)
            self._clear_pause_flags(conn)
        return state, None

    def _call(self, request: Callable[[], _T]) -> _T:
        """Run a read against Harvest, keeping the pause flags in step with what it answered."""
        if (until := self._throttled_until()) is not None:
            # WORKAROUND: every call during Harvest's lockout restarts it, so do not even try.
            raise ThrottledError(
                "Harvest is throttling this account; waiting before the next call.", retry_at=until
            )
        try:
            result = request()
        except ThrottledError as error:
            self._set_flags(throttled_until=error.retry_at.isoformat(), last_error=error.message)
            raise
        except AuthError as error:
            self._set_flags(auth_failed="1", last_error=error.message)
            raise
        except (NetworkError, ServerError) as error:
            self._set_flags(offline="1", last_error=error.message)
            raise
        with self._store.transaction() as conn:
            self._clear_pause_flags(conn)
        return result

    # -- cache helpers ----------------------------------------------------------------------------

    def _start_locally(self, conn: sqlite3.Connection, source: Entry) -> dt.date:
        now = self._clock()
        self._stop_running_locally(conn, keep=None)
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
        cache.put_entry(conn, self._account, self._anchored(started))
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

    def _merge(self, conn: sqlite3.Connection, server: Entry, touched: dict[int, set[str]]) -> None:
        """Cache the server's entry; fields a pending operation changes keep their local value."""
        cached = cache.entry(conn, self._account, server.id)
        fields = set(touched.get(server.id, ()))
        late_key = f"{_LATE_TIMER}{server.id}"
        if cache.meta(conn, self._account, late_key) is not None:
            if server.is_running and cached is not None and cached.entry.is_running:
                fields.update(_TIMER_FIELDS)  # Our clock counts the time Harvest's timer missed.
            elif "timer_started_at" not in fields:
                cache.set_meta(conn, self._account, late_key, None)  # Stopped: the correction is done.
        merged = server
        if cached is not None and fields:
            merged = dataclasses.replace(server, **{f: getattr(cached.entry, f) for f in fields})
        if cached is not None and "timer_started_at" in fields:
            result = dataclasses.replace(cached, entry=merged)
        elif merged.is_running:
            result = dataclasses.replace(self._anchored(merged), hidden=bool(cached and cached.hidden))
        else:
            result = CachedEntry(merged, hidden=bool(cached and cached.hidden))
        cache.put_entry(conn, self._account, result)
        if cached is not None and cached.entry.spent_on != result.entry.spent_on:
            cache.mark_day_fetched(conn, self._account, cached.entry.spent_on, None)

    def _keep_one_timer(self, conn: sqlite3.Connection) -> None:
        """Harvest runs one timer per user: if the cache shows more, the latest start wins."""
        running = cache.running_entries(conn, self._account)
        if len(running) <= 1:
            return
        started_by: dict[int, int] = {}
        for op in outbox.timer_starts(conn, self._account):
            started_by[op.payload.get("result_id", op.entry_id)] = op.op_id
        floor = dt.datetime.min.replace(tzinfo=dt.UTC)
        keep = max(running, key=lambda c: (started_by.get(c.entry.id, -1), c.entry.timer_started_at or floor))
        self._stop_running_locally(conn, keep=keep.entry.id)

    def _stop_running_locally(self, conn: sqlite3.Connection, keep: int | None) -> None:
        for cached in cache.running_entries(conn, self._account):
            if cached.entry.id != keep:
                cache.put_entry(conn, self._account, dataclasses.replace(cached, entry=self._stopped(cached)))

    def _stopped(self, cached: CachedEntry) -> Entry:
        entry = cached.entry
        if not entry.is_running:
            return entry
        seconds = round(float(entry.hours) * 3600 + self._elapsed(cached))
        return dataclasses.replace(
            entry,
            hours=seconds_to_hours(seconds),
            hours_without_timer=None,
            timer_started_at=None,
            updated_at=self._clock(),
        )

    def _anchored(self, entry: Entry) -> CachedEntry:
        return CachedEntry(entry, anchor_mono=self._monotonic(), anchor_at=self._clock())

    def _elapsed(self, cached: CachedEntry, monotonic_now: float | None = None) -> float:
        """Seconds a running timer has run since its hours were true, by the monotonic clock; the
        wall clock only when a reboot reset the monotonic one (until the next refresh says)."""
        now = self._monotonic() if monotonic_now is None else monotonic_now
        if cached.anchor_mono is not None and now >= cached.anchor_mono:
            return now - cached.anchor_mono
        if cached.anchor_at is None:
            return 0.0
        return max((self._clock() - cached.anchor_at).total_seconds(), 0.0)

    def _local(
        self, cached: CachedEntry, states: dict[int, tuple[EntryState, str | None, int]], mono: float
    ) -> LocalEntry:
        entry = cached.entry
        if entry.is_running:
            live = entry.hours + (Decimal(self._elapsed(cached, mono)) / 3600)
            entry = dataclasses.replace(entry, hours=live.quantize(_PRECISE_HOURS))
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
        old = self._stopped(cached)
        draft = EntryDraft(
            project_id=old.project_id,
            task_id=old.task_id,
            spent_on=old.spent_on,
            notes=old.notes,
            hours=old.hours,
            started_at=old.started_at,
            ended_at=old.ended_at,
        )
        cache.put_entry(
            conn, self._account, CachedEntry(dataclasses.replace(old, id=local_id, is_locked=False))
        )
        outbox.enqueue(
            conn, self._account, "create", local_id, draft_payload(draft), created_at=self._clock()
        )

    # -- sync status --------------------------------------------------------------------------------

    def _status(self, conn: sqlite3.Connection) -> SyncStatus:
        def flag(key: str) -> str | None:
            return cache.meta(conn, self._account, key)

        counts = outbox.counts(conn, self._account)
        until = flag("throttled_until")
        throttled = dt.datetime.fromisoformat(until) if until else None
        if throttled is not None and throttled <= self._clock():
            throttled = None
        last = flag("last_sync_at")
        return SyncStatus(
            pending_ops=counts.get("pending", 0) + counts.get("in_flight", 0),
            conflicts=counts.get("conflict", 0),
            failed_ops=counts.get("failed", 0),
            last_sync_at=dt.datetime.fromisoformat(last) if last else None,
            throttled_until=throttled,
            offline=flag("offline") == "1",
            auth_failed=flag("auth_failed") == "1",
            last_error=flag("last_error"),
        )

    def _throttled_until(self) -> dt.datetime | None:
        with self._store.reading() as conn:
            until = cache.meta(conn, self._account, "throttled_until")
        if until is None:
            return None
        moment = dt.datetime.fromisoformat(until)
        return moment if moment > self._clock() else None

    def _throttled(self) -> bool:
        return self._throttled_until() is not None

    def _set_flags(self, **flags: str) -> None:
        with self._store.transaction() as conn:
            for key, value in flags.items():
                cache.set_meta(conn, self._account, key, value)

    def _clear_pause_flags(self, conn: sqlite3.Connection) -> None:
        for key in ("offline", "auth_failed", "last_error", "throttled_until"):
            cache.set_meta(conn, self._account, key, None)


def _untouched(op: Op) -> bool:
    """Never claimed or tried: it can still be rewritten or dropped (we hold the write lock)."""
    return op.state == "pending" and op.attempts == 0 and not op.maybe_applied


def _touched_fields(ops: list[Op]) -> dict[int, set[str]]:
    """For each entry, the fields whose local value must win over the server until sent."""
    touched: dict[int, set[str]] = {}
    for op in ops:
        fields = touched.setdefault(op.entry_id, set())
        if op.kind == "update":
            for key in op.payload:
                fields.update(_CHANGED_FIELDS.get(key, ()))
        elif op.kind in ("create", "start", "stop"):
            fields.update(_TIMER_FIELDS)
            if "result_id" in op.payload:  # the entry a timestamp restart will become
                touched.setdefault(op.payload["result_id"], set()).update(_TIMER_FIELDS)
    return touched


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


def _span_hours(started_at: str | None, ended_at: str | None) -> Decimal:
    """Hours between two Harvest times of day ("8:00am", "17:30"), or 0 when not both readable."""
    start, end = _clock_minutes(started_at), _clock_minutes(ended_at)
    if start is None or end is None or end < start:
        return ZERO_HOURS
    return seconds_to_hours((end - start) * 60)


def _clock_minutes(text: str | None) -> int | None:
    match = _CLOCK_TIME.match(text or "")
    if not match:
        return None
    hour, minute, half = int(match[1]), int(match[2]), (match[3] or "").lower()
    if half:
        hour = hour % 12 + (12 if half == "pm" else 0)
    return hour * 60 + minute
