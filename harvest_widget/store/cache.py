"""Reading and writing the cached timesheet: who-am-i, entries, days, projects, metadata.

Functions take the connection of an open `Store.transaction()` / `Store.reading()`, so a caller
composes several of them into one atomic user operation. Values go in and come out as `core` types.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from harvest_widget.core.account import HoursFormat, TimerMode, WhoAmI
from harvest_widget.core.timesheet import Entry, Project, Task


@dataclass(frozen=True, slots=True)
class CachedEntry:
    """An entry plus what only the cache knows about it.

    For a running timer, `entry.hours` was true at `anchor_mono` (a `time.monotonic()` reading)
    and `anchor_at` (the UTC wall time of the same moment, used only after a reboot).
    `hidden` marks an entry deleted locally whose delete has not reached the server yet.
    """

    entry: Entry
    anchor_mono: float | None = None
    anchor_at: dt.datetime | None = None
    hidden: bool = False


# -- who am I ----------------------------------------------------------------------------------


def put_whoami(conn: sqlite3.Connection, account: str, whoami: WhoAmI, at: dt.datetime) -> None:
    data = dataclasses.asdict(whoami)
    data["timer_mode"] = whoami.timer_mode.value
    data["hours_format"] = whoami.hours_format.value
    conn.execute(
        "INSERT INTO accounts (account, whoami, updated_at) VALUES (?, ?, ?) "
        "ON CONFLICT (account) DO UPDATE SET whoami = excluded.whoami, updated_at = excluded.updated_at",
        (account, json.dumps(data), at.isoformat()),
    )


def whoami(conn: sqlite3.Connection, account: str) -> WhoAmI | None:
    row = conn.execute("SELECT whoami FROM accounts WHERE account = ?", (account,)).fetchone()
    if row is None:
        return None
    data = json.loads(row["whoami"])
    data["timer_mode"] = TimerMode(data["timer_mode"])
    data["hours_format"] = HoursFormat(data["hours_format"])
    return WhoAmI(**data)


def whoami_read_at(conn: sqlite3.Connection, account: str) -> dt.datetime | None:
    """When the cached user was last read from Harvest, or None when none is cached."""
    row = conn.execute("SELECT updated_at FROM accounts WHERE account = ?", (account,)).fetchone()
    return None if row is None else dt.datetime.fromisoformat(row["updated_at"])


# -- entries -----------------------------------------------------------------------------------

_ENTRY_COLUMNS = (
    "id, spent_on, project_id, task_id, hours, notes, user_id, client_name, project_name, task_name, "
    "hours_without_timer, timer_started_at, started_at, ended_at, is_locked, locked_reason, created_at, "
    "updated_at, running, anchor_mono, anchor_at, hidden"
)


_PLACEHOLDERS = ", ".join("?" * (_ENTRY_COLUMNS.count(",") + 2))


def put_entry(conn: sqlite3.Connection, account: str, cached: CachedEntry) -> None:
    e = cached.entry
    conn.execute(
        f"INSERT OR REPLACE INTO entries (account, {_ENTRY_COLUMNS}) VALUES ({_PLACEHOLDERS})",
        (
            account,
            e.id,
            e.spent_on.isoformat(),
            e.project_id,
            e.task_id,
            str(e.hours),
            e.notes,
            e.user_id,
            e.client_name,
            e.project_name,
            e.task_name,
            _text(e.hours_without_timer),
            _text(e.timer_started_at),
            e.started_at,
            e.ended_at,
            int(e.is_locked),
            e.locked_reason,
            _text(e.created_at),
            _text(e.updated_at),
            int(e.is_running),
            cached.anchor_mono,
            _text(cached.anchor_at),
            int(cached.hidden),
        ),
    )


def entry(conn: sqlite3.Connection, account: str, entry_id: int) -> CachedEntry | None:
    row = conn.execute(
        f"SELECT {_ENTRY_COLUMNS} FROM entries WHERE account = ? AND id = ?", (account, entry_id)
    ).fetchone()
    return None if row is None else _cached_entry(row)


def entries_on(
    conn: sqlite3.Connection, account: str, day: dt.date, *, include_hidden: bool = False
) -> list[CachedEntry]:
    """The day's entries in the order Harvest lists them (creation order; local ones last)."""
    rows = conn.execute(
        f"SELECT {_ENTRY_COLUMNS} FROM entries WHERE account = ? AND spent_on = ? ORDER BY id < 0, abs(id)",
        (account, day.isoformat()),
    ).fetchall()
    cached = [_cached_entry(row) for row in rows]
    return cached if include_hidden else [c for c in cached if not c.hidden]


def running_entries(conn: sqlite3.Connection, account: str) -> list[CachedEntry]:
    rows = conn.execute(
        f"SELECT {_ENTRY_COLUMNS} FROM entries WHERE account = ? AND running = 1 AND hidden = 0",
        (account,),
    ).fetchall()
    return [_cached_entry(row) for row in rows]


def delete_entry(conn: sqlite3.Connection, account: str, entry_id: int) -> None:
    conn.execute("DELETE FROM entries WHERE account = ? AND id = ?", (account, entry_id))


def change_entry_id(conn: sqlite3.Connection, account: str, old_id: int, new_id: int) -> None:
    """Give a cached entry its server id (replacing a copy a refresh may already have cached)."""
    if old_id == new_id:
        return
    delete_entry(conn, account, new_id)
    conn.execute("UPDATE entries SET id = ? WHERE account = ? AND id = ?", (new_id, account, old_id))


def next_local_id(conn: sqlite3.Connection) -> int:
    """A fresh negative id, never reused in this store (shared by all accounts)."""
    last = int(meta(conn, "", "last_local_id") or "0")
    set_meta(conn, "", "last_local_id", str(last - 1))
    return last - 1


def recent_combinations(conn: sqlite3.Connection, account: str, limit: int) -> list[Entry]:
    """The latest entry of each distinct (project, task, notes), newest first."""
    rows = conn.execute(
        f"SELECT {_ENTRY_COLUMNS} FROM entries WHERE rowid IN ("
        "  SELECT max(rowid) FROM entries WHERE account = ? AND hidden = 0"
        "  GROUP BY project_id, task_id, notes) "
        "ORDER BY spent_on DESC, id < 0 DESC, abs(id) DESC LIMIT ?",
        (account, limit),
    ).fetchall()
    return [_cached_entry(row).entry for row in rows]


def note_suggestions(conn: sqlite3.Connection, account: str, prefix: str, limit: int) -> list[str]:
    pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = conn.execute(
        "SELECT notes FROM entries WHERE account = ? AND notes != '' AND notes LIKE ? ESCAPE '\\' "
        "GROUP BY notes ORDER BY max(spent_on) DESC LIMIT ?",
        (account, pattern, limit),
    ).fetchall()
    return [row["notes"] for row in rows]


# -- days and projects -------------------------------------------------------------------------


def mark_day_fetched(conn: sqlite3.Connection, account: str, day: dt.date, at: dt.datetime | None) -> None:
    """Record when `day` was last read from the server (None: known stale)."""
    conn.execute(
        "INSERT INTO days (account, spent_on, fetched_at) VALUES (?, ?, ?) "
        "ON CONFLICT (account, spent_on) DO UPDATE SET fetched_at = excluded.fetched_at",
        (account, day.isoformat(), _text(at)),
    )


def stale_days(conn: sqlite3.Connection, account: str) -> set[dt.date]:
    """Days known to differ from the server (an entry moved away, a timer stopped elsewhere)."""
    rows = conn.execute("SELECT spent_on FROM days WHERE account = ? AND fetched_at IS NULL", (account,))
    return {dt.date.fromisoformat(row["spent_on"]) for row in rows}


def replace_projects(conn: sqlite3.Connection, account: str, projects: Iterable[Project]) -> None:
    conn.execute("DELETE FROM tasks WHERE account = ?", (account,))
    conn.execute("DELETE FROM projects WHERE account = ?", (account,))
    for position, p in enumerate(projects):
        conn.execute(
            "INSERT INTO projects (account, id, position, name, code, client_name, client_id, billable) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (account, p.id, position, p.name, p.code, p.client_name, p.client_id, int(p.billable)),
        )
        conn.executemany(
            "INSERT INTO tasks (account, project_id, id, position, name, billable) VALUES (?, ?, ?, ?, ?, ?)",
            [(account, p.id, t.id, i, t.name, int(t.billable)) for i, t in enumerate(p.tasks)],
        )


def projects(conn: sqlite3.Connection, account: str) -> tuple[Project, ...]:
    tasks: dict[int, list[Task]] = {}
    for row in conn.execute(
        "SELECT project_id, id, name, billable FROM tasks WHERE account = ? ORDER BY project_id, position",
        (account,),
    ):
        tasks.setdefault(row["project_id"], []).append(
            Task(id=row["id"], name=row["name"], billable=bool(row["billable"]))
        )
    return tuple(
        Project(
            id=row["id"],
            name=row["name"],
            code=row["code"],
            client_name=row["client_name"],
            client_id=row["client_id"],
            billable=bool(row["billable"]),
            tasks=tuple(tasks.get(row["id"], ())),
        )
        for row in conn.execute(
            "SELECT id, name, code, client_name, client_id, billable FROM projects "
            "WHERE account = ? ORDER BY position",
            (account,),
        )
    )


# -- metadata ----------------------------------------------------------------------------------


def meta(conn: sqlite3.Connection, account: str, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE account = ? AND key = ?", (account, key)).fetchone()
    return None if row is None else str(row["value"])


def set_meta(conn: sqlite3.Connection, account: str, key: str, value: str | None) -> None:
    if value is None:
        conn.execute("DELETE FROM meta WHERE account = ? AND key = ?", (account, key))
        return
    conn.execute(
        "INSERT INTO meta (account, key, value) VALUES (?, ?, ?) "
        "ON CONFLICT (account, key) DO UPDATE SET value = excluded.value",
        (account, key, value),
    )


# -- conversions -------------------------------------------------------------------------------


def _text(value: Decimal | dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, dt.datetime) else str(value)


def _datetime(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def _cached_entry(row: sqlite3.Row) -> CachedEntry:
    return CachedEntry(
        entry=Entry(
            id=row["id"],
            spent_on=dt.date.fromisoformat(row["spent_on"]),
            project_id=row["project_id"],
            task_id=row["task_id"],
            hours=Decimal(row["hours"]),
            notes=row["notes"],
            user_id=row["user_id"],
            client_name=row["client_name"],
            project_name=row["project_name"],
            task_name=row["task_name"],
            hours_without_timer=None
            if row["hours_without_timer"] is None
            else Decimal(row["hours_without_timer"]),
            timer_started_at=_datetime(row["timer_started_at"]),
            started_at=row["started_at"],
            ended_at=row["ended_at"],
            is_locked=bool(row["is_locked"]),
            locked_reason=row["locked_reason"],
            created_at=_datetime(row["created_at"]),
            updated_at=_datetime(row["updated_at"]),
        ),
        anchor_mono=row["anchor_mono"],
        anchor_at=_datetime(row["anchor_at"]),
        hidden=bool(row["hidden"]),
    )
