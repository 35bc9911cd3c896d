"""The sync status flags kept in the cache, so every process on a home sees the same pause:
a throttle (and until when), offline, wrong credentials, the last error."""

from __future__ import annotations

import datetime as dt
import sqlite3

from harvest_widget.store import cache, outbox
from harvest_widget.sync.snapshots import SyncStatus

THROTTLED_UNTIL = "throttled_until"
OFFLINE = "offline"
AUTH_FAILED = "auth_failed"
LAST_ERROR = "last_error"
LAST_SYNC_AT = "last_sync_at"


def pause(conn: sqlite3.Connection, account: str, key: str, value: str, message: str) -> None:
    """Record why calls stop for now (`key` is THROTTLED_UNTIL, OFFLINE or AUTH_FAILED)."""
    cache.set_meta(conn, account, key, value)
    cache.set_meta(conn, account, LAST_ERROR, message)


def clear(conn: sqlite3.Connection, account: str) -> None:
    """Harvest answered: whatever paused us is over."""
    for key in (OFFLINE, AUTH_FAILED, LAST_ERROR, THROTTLED_UNTIL):
        cache.set_meta(conn, account, key, None)


def throttled_until(conn: sqlite3.Connection, account: str, now: dt.datetime) -> dt.datetime | None:
    """The end of Harvest's lockout, while it lasts."""
    until = cache.meta(conn, account, THROTTLED_UNTIL)
    moment = dt.datetime.fromisoformat(until) if until else None
    return moment if moment is not None and moment > now else None


def read(conn: sqlite3.Connection, account: str, now: dt.datetime) -> SyncStatus:
    counts = outbox.counts(conn, account)
    last = cache.meta(conn, account, LAST_SYNC_AT)
    return SyncStatus(
        pending_ops=counts.get("pending", 0) + counts.get("in_flight", 0),
        conflicts=counts.get("conflict", 0),
        failed_ops=counts.get("failed", 0),
        last_sync_at=dt.datetime.fromisoformat(last) if last else None,
        throttled_until=throttled_until(conn, account, now),
        offline=cache.meta(conn, account, OFFLINE) == "1",
        auth_failed=cache.meta(conn, account, AUTH_FAILED) == "1",
        last_error=cache.meta(conn, account, LAST_ERROR),
    )
