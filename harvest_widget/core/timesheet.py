"""The timesheet's domain values: entries, projects, tasks and days.

Every value is immutable. Hours are `Decimal` as Harvest reports them (decimal hours, usually two
places); nothing here accumulates floats. Entry ids are `int` for entries Harvest knows; entries
created offline carry a negative local id until the server assigns one (see `sync`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

ZERO_HOURS = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class Task:
    id: int
    name: str
    billable: bool = True


@dataclass(frozen=True, slots=True)
class Project:
    """A project the user may track time to, with the tasks assigned to them."""

    id: int
    name: str
    code: str = ""
    client_name: str = ""
    client_id: int | None = None
    billable: bool = True
    tasks: tuple[Task, ...] = ()

    def task(self, task_id: int) -> Task | None:
        return next((t for t in self.tasks if t.id == task_id), None)


@dataclass(frozen=True, slots=True)
class Entry:
    """One time entry (a Harvest "day entry").

    `hours` includes the running timer's time as of the moment the server answered
    (`timer_started_at` is set only while the timer runs). `started_at`/`ended_at` are Harvest's
    time-of-day strings (e.g. "8:00am") and are only filled on timestamp-timer accounts.
    """

    id: int
    spent_on: dt.date
    project_id: int
    task_id: int
    hours: Decimal = ZERO_HOURS
    notes: str = ""
    user_id: int | None = None
    client_name: str = ""
    project_name: str = ""
    task_name: str = ""
    hours_without_timer: Decimal | None = None
    timer_started_at: dt.datetime | None = None
    started_at: str | None = None
    ended_at: str | None = None
    is_locked: bool = False
    locked_reason: str | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None

    @property
    def is_running(self) -> bool:
        return self.timer_started_at is not None


@dataclass(frozen=True, slots=True)
class EntryDraft:
    """A new entry to create.

    `hours=None` (and, on timestamp accounts, no `ended_at`) means "start a timer on create".
    """

    project_id: int
    task_id: int
    spent_on: dt.date
    notes: str = ""
    hours: Decimal | None = None
    started_at: str | None = None
    ended_at: str | None = None

    @property
    def starts_timer(self) -> bool:
        return self.hours is None and not self.ended_at

    @classmethod
    def copy_of(cls, entry: Entry) -> EntryDraft:
        """A draft that creates `entry` again (undoing a delete, re-creating one deleted elsewhere)."""
        return cls(
            project_id=entry.project_id,
            task_id=entry.task_id,
            spent_on=entry.spent_on,
            notes=entry.notes,
            hours=entry.hours,
            started_at=entry.started_at,
            ended_at=entry.ended_at,
        )


@dataclass(frozen=True, slots=True)
class EntryChanges:
    """Fields to change on an existing entry; `None` means "leave as it is"."""

    notes: str | None = None
    hours: Decimal | None = None
    project_id: int | None = None
    task_id: int | None = None
    spent_on: dt.date | None = None
    started_at: str | None = None
    ended_at: str | None = None

    def is_empty(self) -> bool:
        return all(getattr(self, name) is None for name in self.__slots__)


@dataclass(frozen=True, slots=True)
class TimerResult:
    """What starting or stopping a timer (or creating a running entry) returned.

    `entry` is the entry the server now tracks, whose id may differ from the one asked for
    (timestamp accounts and v2's restart create a new entry). `previous_timer_hours` is Harvest's
    `hours_for_previously_running_timer`: set when this start stopped another running timer.
    """

    entry: Entry
    previous_timer_hours: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Day:
    """One day of the user's timesheet; `projects` is empty when the server sent none (slim)."""

    date: dt.date
    entries: tuple[Entry, ...] = ()
    projects: tuple[Project, ...] = field(default=())

    @property
    def total_hours(self) -> Decimal:
        return sum((e.hours for e in self.entries), ZERO_HOURS)

    def running_entry(self) -> Entry | None:
        return next((e for e in self.entries if e.is_running), None)
