"""Keeping a demo's timesheets between runs: one JSON file, replaced atomically on every change.

Only the mutable part (entries, locked days, the next id) is stored; people and projects come from
`demo_data` each run. A file that cannot be read is an error the caller reports, never silently
replaced, so a demo never loses its entries to a typo.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from harvest_widget.sandbox.world import StoredEntry, Timesheets

FORMAT_VERSION = 1


class DataFileError(Exception):
    """The data file exists but is not a sandbox data file."""


def load_timesheets(path: Path) -> Timesheets | None:
    """The timesheets stored at `path`, or None when there is no file yet."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise DataFileError(f"Cannot read the sandbox data file {path}: {error}") from None
    try:
        if raw["format"] != FORMAT_VERSION:
            raise DataFileError(f"{path} has data format {raw['format']}, expected {FORMAT_VERSION}.")
        entries = {int(e["id"]): _entry_from_json(e) for e in raw["entries"]}
        locked = {int(u): {dt.date.fromisoformat(d) for d in days} for u, days in raw["locked_days"].items()}
        return Timesheets(entries=entries, locked_days=locked, next_entry_id=int(raw["next_entry_id"]))
    except (KeyError, TypeError, ValueError) as error:
        raise DataFileError(f"{path} is not a sandbox data file ({error!r}).") from None


def save_timesheets(path: Path, sheets: Timesheets) -> None:
    """Write atomically: a crash leaves either the old file or the new one, never half of one."""
    data = {
        "format": FORMAT_VERSION,
        "next_entry_id": sheets.next_entry_id,
        "locked_days": {
            str(u): sorted(d.isoformat() for d in days) for u, days in sheets.locked_days.items()
        },
        "entries": [_entry_to_json(e) for e in sorted(sheets.entries.values(), key=lambda e: e.id)],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as temp:
            json.dump(data, temp, indent=1)
            temp.flush()
            os.fsync(temp.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def _entry_to_json(entry: StoredEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "user_id": entry.user_id,
        "spent_at": entry.spent_at.isoformat(),
        "project_id": entry.project_id,
        "task_id": entry.task_id,
        "notes": entry.notes,
        "seconds": str(entry.seconds),
        "created_at": entry.created_at.isoformat(),
        "updated_at": entry.updated_at.isoformat(),
        "timer_started_at": entry.timer_started_at.isoformat() if entry.timer_started_at else None,
        "started_at": entry.started_at.isoformat() if entry.started_at else None,
        "ended_at": entry.ended_at.isoformat() if entry.ended_at else None,
    }


def _entry_from_json(raw: dict[str, Any]) -> StoredEntry:
    def moment(value: str | None) -> dt.datetime | None:
        return dt.datetime.fromisoformat(value) if value else None

    def time_of_day(value: str | None) -> dt.time | None:
        return dt.time.fromisoformat(value) if value else None

    created, updated = moment(raw["created_at"]), moment(raw["updated_at"])
    if created is None or updated is None:
        raise ValueError("an entry without created_at/updated_at")
    return StoredEntry(
        id=int(raw["id"]),
        user_id=int(raw["user_id"]),
        spent_at=dt.date.fromisoformat(raw["spent_at"]),
        project_id=int(raw["project_id"]),
        task_id=int(raw["task_id"]),
        notes=str(raw["notes"]),
        seconds=Decimal(raw["seconds"]),
        created_at=created,
        updated_at=updated,
        timer_started_at=moment(raw["timer_started_at"]),
        started_at=time_of_day(raw["started_at"]),
        ended_at=time_of_day(raw["ended_at"]),
    )
