"""How drafts and changes are written into outbox payloads (JSON) and read back, exactly.

Hours travel as decimal strings and dates as ISO strings, so nothing is rounded on the way.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from harvest_widget.core.timesheet import EntryChanges, EntryDraft


def draft_payload(draft: EntryDraft) -> dict[str, Any]:
    return {
        "project_id": draft.project_id,
        "task_id": draft.task_id,
        "spent_on": draft.spent_on.isoformat(),
        "notes": draft.notes,
        "hours": None if draft.hours is None else str(draft.hours),
        "started_at": draft.started_at,
        "ended_at": draft.ended_at,
    }


def draft_from(payload: dict[str, Any]) -> EntryDraft:
    return EntryDraft(
        project_id=int(payload["project_id"]),
        task_id=int(payload["task_id"]),
        spent_on=dt.date.fromisoformat(payload["spent_on"]),
        notes=payload["notes"],
        hours=None if payload["hours"] is None else Decimal(payload["hours"]),
        started_at=payload["started_at"],
        ended_at=payload["ended_at"],
    )


def changes_payload(changes: EntryChanges) -> dict[str, Any]:
    """Only the fields that change (so merging two edits is a dict update)."""
    payload: dict[str, Any] = {}
    for name in changes.__slots__:
        value = getattr(changes, name)
        if value is None:
            continue
        payload[name] = (
            value.isoformat()
            if isinstance(value, dt.date)
            else str(value)
            if isinstance(value, Decimal)
            else value
        )
    return payload


def changes_from(payload: dict[str, Any]) -> EntryChanges:
    return EntryChanges(
        notes=payload.get("notes"),
        hours=Decimal(payload["hours"]) if "hours" in payload else None,
        project_id=payload.get("project_id"),
        task_id=payload.get("task_id"),
        spent_on=dt.date.fromisoformat(payload["spent_on"]) if "spent_on" in payload else None,
        started_at=payload.get("started_at"),
        ended_at=payload.get("ended_at"),
    )
