"""Small builders of core and snapshot values for GUI unit tests (integration tests use the sandbox)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from harvest_widget.core.timesheet import Entry, Project, Task
from harvest_widget.sync.snapshots import EntryState, LocalEntry

DAY = dt.date(2026, 3, 9)

PROJECTS = (
    Project(
        id=1,
        name="Website Redesign",
        code="WEB",
        client_name="Acme Corp",
        tasks=(Task(11, "Design"), Task(12, "Development")),
    ),
    Project(id=2, name="Internal", client_name="", tasks=(Task(21, "Meetings"), Task(22, "Admin"))),
    Project(id=3, name="Mobile App", code="MOB", client_name="Globex", tasks=(Task(31, "Design"),)),
)


def local_entry(
    entry_id: int = 1,
    *,
    hours: str = "1.50",
    notes: str = "Homepage mockups",
    running: bool = False,
    locked: bool = False,
    state: EntryState = "synced",
    message: str | None = None,
) -> LocalEntry:
    entry = Entry(
        id=entry_id,
        spent_on=DAY,
        project_id=1,
        task_id=11,
        hours=Decimal(hours),
        notes=notes,
        client_name="Acme Corp",
        project_name="Website Redesign",
        task_name="Design",
        timer_started_at=dt.datetime(2026, 3, 9, 9, 0, tzinfo=dt.UTC) if running else None,
        is_locked=locked,
        locked_reason="Approved timesheet" if locked else None,
    )
    return LocalEntry(entry=entry, state=state, message=message, op_id=7 if state != "synced" else None)
