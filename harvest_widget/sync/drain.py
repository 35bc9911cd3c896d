"""Sending the outbox to Harvest, one claimed operation at a time, in order.

Each operation's outcome is recorded in its own transaction: sent (the answer merged into the
cache, local ids rewritten), parked for the user (conflict: gone or locked; failed: refused), or
released to wait (throttle, offline, wrong credentials: the drain pauses and the next sync
resumes). A reply that was lost (or a holder that died mid-send) makes the next attempt look at
the server first, so nothing is applied twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import sqlite3
from dataclasses import dataclass, field
from decimal import Decimal

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
from harvest_widget.core.account import TimerMode
from harvest_widget.core.timesheet import Entry, EntryDraft, TimerResult
from harvest_widget.store import cache, outbox
from harvest_widget.store.database import Store
from harvest_widget.store.outbox import Op
from harvest_widget.sync import status
from harvest_widget.sync.merge import Merge, mark_late_timer, touched_fields
from harvest_widget.sync.payloads import changes_from, draft_from
from harvest_widget.sync.running_time import RunningTime, clock_minutes

log = logging.getLogger(__name__)

# A claim on an operation lasts this long (longer than any send, throttle waits included); a holder
# that dies is noticed at once on the same host.
LEASE_SECONDS = 600.0
# A lost create is looked for among entries created from this long before it was queued (clock skew).
_CREATE_MATCH_SKEW = dt.timedelta(minutes=5)
# A timer whose start reached Harvest this late runs on local time, and its stop sends the hours
# measured here (Harvest's timer missed the time the start spent in the outbox).
_LATE_START = dt.timedelta(seconds=60)
_STOP_CORRECTION_HOURS = Decimal("0.02")
# A protocol error (2xx with an unreadable body) may mean the change happened: check, retry, give up.
_MAX_PROTOCOL_ATTEMPTS = 5


@dataclass
class DrainResult:
    sent: int = 0
    days: set[dt.date] = field(default_factory=set)  # days the sent operations touched
    paused: bool = False


class Drain:
    def __init__(self, store: Store, backend: Backend, account: str, time: RunningTime, merge: Merge) -> None:
        self._store = store
        self._backend = backend
        self._account = account
        self._time = time
        self._merge = merge
        # os.urandom, not `secrets`: that imports hmac and so OpenSSL (~4 MB) into every process.
        self._token = os.urandom(4).hex()

    def run(self) -> DrainResult:
        """Send until the outbox is empty, another process holds its head, or Harvest pauses us."""
        result = DrainResult()
        claimer = outbox.claimer_id(self._token)
        with self._store.reading() as conn:
            result.paused = status.throttled_until(conn, self._account, self._time.now()) is not None
        while not result.paused:
            with self._store.transaction() as conn:
                op = outbox.claim_next(
                    conn, self._account, claimer, self._time.now().timestamp(), LEASE_SECONDS
                )
                cached = cache.entry(conn, self._account, op.entry_id) if op else None
            if op is None:
                break
            if cached is not None:
                result.days.add(cached.entry.spent_on)
            outcome, day = self._send(op)
            if day is not None:
                result.days.add(day)
            result.sent += outcome == "sent"
            result.paused = outcome == "paused"
        return result

    def _send(self, op: Op) -> tuple[str, dt.date | None]:
        """Send one claimed operation and record the outcome: "sent", "conflict", "failed" or
        "paused" (throttle/offline/credentials: the drain stops, the operation stays queued)."""
        try:
            result = self._deliver(op)
        except ThrottledError as error:
            self._settle(op, error, status.THROTTLED_UNTIL, error.retry_at.isoformat())
            return "paused", None
        except AuthError as error:
            self._settle(op, error, status.AUTH_FAILED, "1")
            return "paused", None
        except (NetworkError, ServerError) as error:
            maybe = error.maybe_applied if isinstance(error, NetworkError) else True
            self._settle(op, error, status.OFFLINE, "1", maybe_applied=maybe)
            return "paused", None
        except ProtocolError as error:
            if op.attempts + 1 >= _MAX_PROTOCOL_ATTEMPTS:
                return self._park(op, "failed", error.message)
            self._settle(op, error, status.LAST_ERROR, error.message, maybe_applied=True)
            return "paused", None
        except NotFoundError as error:
            if op.kind != "delete":
                return self._park(op, "conflict", f"The entry is gone from Harvest ({error.message}).")
            result = None  # Already gone: what the user wanted.
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
        """The entry a create whose reply was lost made, by a fresh read of its day: same project,
        task, notes, hours (or start time), created after the create was queued, not yet ours."""
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
            and (draft.started_at is None or clock_minutes(e.started_at) == clock_minutes(draft.started_at))
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
        account = self._account
        with self._store.transaction() as conn:
            status.clear(conn, account)
            if entry is None:
                outbox.complete(conn, op.op_id)
                cache.delete_entry(conn, account, op.entry_id)
                return None
            local_id = op.entry_id if op.kind == "create" else op.payload.get("result_id")
            if local_id is not None and entry.id != local_id:
                outbox.remember_server_id(conn, account, local_id, entry.id)
                outbox.retarget(conn, account, local_id, entry.id)
                cache.change_entry_id(conn, account, local_id, entry.id)
            if op.kind == "stop" and self._needs_correction(conn, op, entry):
                # Harvest's timer started late (the start was queued offline): send what we measured.
                outbox.rewrite(conn, op.op_id, "update", {"hours": op.payload["hours"]})
            else:
                outbox.complete(conn, op.op_id)
            late = self._time.now() - op.created_at > _LATE_START
            if op.kind in ("create", "start") and entry.is_running and late:
                mark_late_timer(conn, account, entry.id, op.created_at)
            self._merge.entry(conn, entry, touched_fields(outbox.for_entry(conn, account, entry.id)))
            self._merge.keep_one_timer(conn)
            return entry.spent_on

    def _needs_correction(self, conn: sqlite3.Connection, op: Op, server: Entry) -> bool:
        who = cache.whoami(conn, self._account)
        if not op.payload.get("correct") or (who and who.timer_mode is TimerMode.TIMESTAMP):
            return False
        later_hours = any(
            o.kind == "update" and "hours" in o.payload and o.op_id != op.op_id
            for o in outbox.for_entry(conn, self._account, server.id)
        )
        return not later_hours and abs(server.hours - Decimal(op.payload["hours"])) > _STOP_CORRECTION_HOURS

    def _settle(
        self, op: Op, error: HarvestError, pause_key: str, pause_value: str, *, maybe_applied: bool = False
    ) -> None:
        log.info("op %d (%s) paused: %s", op.op_id, op.kind, error.message)
        with self._store.transaction() as conn:
            outbox.release(conn, op.op_id, error.message, maybe_applied=maybe_applied)
            status.pause(conn, self._account, pause_key, pause_value, error.message)

    def _park(self, op: Op, state: str, message: str) -> tuple[str, dt.date | None]:
        log.warning("op %d (%s) needs the user: %s", op.op_id, op.kind, message)
        with self._store.transaction() as conn:
            outbox.park(conn, op.op_id, "conflict" if state == "conflict" else "failed", message)
            status.clear(conn, self._account)
        return state, None

    def _release_interrupted(self, op: Op) -> None:
        """Something other than Harvest broke mid-send: requeue the op, to be checked before resending."""
        with self._store.transaction() as conn:
            outbox.release(conn, op.op_id, "interrupted while sending", maybe_applied=True)
