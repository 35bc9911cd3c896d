"""Merging what the server says into the cache without clobbering what the user did meanwhile.

Rules: a field that a queued operation changes keeps its local value until that operation is sent;
Harvest runs one timer per user, so the cache never shows two; a timer whose start reached Harvest
late (queued offline) keeps counting on local time until it stops (the stop then sends the hours
measured here).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3

from harvest_widget.core.timesheet import Entry
from harvest_widget.store import cache, outbox
from harvest_widget.store.cache import CachedEntry
from harvest_widget.store.outbox import Op
from harvest_widget.sync.running_time import RunningTime

TIMER_FIELDS = ("hours", "hours_without_timer", "timer_started_at", "ended_at")
_CHANGED_FIELDS = {
    "notes": ("notes",),
    "hours": ("hours",),
    "project_id": ("project_id", "project_name", "client_name"),
    "task_id": ("task_id", "task_name"),
    "spent_on": ("spent_on",),
    "started_at": ("started_at",),
    "ended_at": ("ended_at",),
}
_LATE_TIMER = "late_timer:"


def touched_fields(ops: list[Op]) -> dict[int, set[str]]:
    """For each entry, the fields whose local value must win over the server until sent."""
    touched: dict[int, set[str]] = {}
    for op in ops:
        fields = touched.setdefault(op.entry_id, set())
        if op.kind == "update":
            for key in op.payload:
                fields.update(_CHANGED_FIELDS.get(key, ()))
        elif op.kind in ("create", "start", "stop"):
            fields.update(TIMER_FIELDS)
            if "result_id" in op.payload:  # the entry a timestamp restart will become
                touched.setdefault(op.payload["result_id"], set()).update(TIMER_FIELDS)
    return touched


def mark_late_timer(conn: sqlite3.Connection, account: str, entry_id: int, queued_at: dt.datetime) -> None:
    cache.set_meta(conn, account, f"{_LATE_TIMER}{entry_id}", queued_at.isoformat())


def is_late_timer(conn: sqlite3.Connection, account: str, entry_id: int) -> bool:
    return cache.meta(conn, account, f"{_LATE_TIMER}{entry_id}") is not None


class Merge:
    """Writes server entries into one account's cache (inside the caller's transaction)."""

    def __init__(self, account: str, time: RunningTime) -> None:
        self._account = account
        self._time = time

    def entry(self, conn: sqlite3.Connection, server: Entry, touched: dict[int, set[str]]) -> None:
        """Cache the server's entry; fields a pending operation changes keep their local value."""
        account = self._account
        cached = cache.entry(conn, account, server.id)
        fields = set(touched.get(server.id, ()))
        if is_late_timer(conn, account, server.id):
            if server.is_running and cached is not None and cached.entry.is_running:
                fields.update(TIMER_FIELDS)  # Our clock counts the time Harvest's timer missed.
            elif "timer_started_at" not in fields:
                cache.set_meta(conn, account, f"{_LATE_TIMER}{server.id}", None)  # Stopped: done.
        merged = server
        if cached is not None and fields:
            merged = dataclasses.replace(server, **{f: getattr(cached.entry, f) for f in fields})
        hidden = bool(cached and cached.hidden)
        if cached is not None and "timer_started_at" in fields:
            result = dataclasses.replace(cached, entry=merged)
        elif merged.is_running:
            result = dataclasses.replace(self._time.anchored(merged), hidden=hidden)
        else:
            result = CachedEntry(merged, hidden=hidden)
        cache.put_entry(conn, account, result)
        if cached is not None and cached.entry.spent_on != result.entry.spent_on:
            cache.mark_day_fetched(conn, account, cached.entry.spent_on, None)

    def keep_one_timer(self, conn: sqlite3.Connection) -> None:
        """Harvest runs one timer per user: if the cache shows more, the latest start wins."""
        running = cache.running_entries(conn, self._account)
        if len(running) <= 1:
            return
        started_by: dict[int, int] = {}
        for op in outbox.timer_starts(conn, self._account):
            started_by[op.payload.get("result_id", op.entry_id)] = op.op_id
        floor = dt.datetime.min.replace(tzinfo=dt.UTC)
        keep = max(running, key=lambda c: (started_by.get(c.entry.id, -1), c.entry.timer_started_at or floor))
        self.stop_running(conn, keep=keep.entry.id)

    def stop_running(self, conn: sqlite3.Connection, keep: int | None) -> None:
        """Stop every cached timer but `keep`, with the hours each counted."""
        for cached in cache.running_entries(conn, self._account):
            if cached.entry.id != keep:
                cache.put_entry(
                    conn, self._account, dataclasses.replace(cached, entry=self._time.stopped(cached))
                )
