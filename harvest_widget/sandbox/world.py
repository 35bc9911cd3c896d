"""The sandbox's Harvest: companies, users, projects and time entries, and Harvest's rules.

Version-neutral: no HTTP and no wire format here. The v1 routes (and later v2) translate requests
into these calls and render what comes back; errors are `NotFound`, `Forbidden` and `Invalid`,
which each API version maps to its own status codes. All reads of "now" go through the clock.
Thread-safe: one lock guards every operation.

Rules where the v1 documentation is silent (marked [ND] in the spec) follow its emulator proposals:
another user's entry is invisible (NotFound) unless an admin asks with `of_user`; `of_user` from a
non-admin is Forbidden; locked entries can be changed only by admins, and even then not their
project, task or date (Forbidden); updating the hours of a running entry sets its total and keeps
the timer running from now.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal

from harvest_widget.core.calendar import today_in, zone
from harvest_widget.sandbox.clock import Clock

_CENTS = Decimal("0.01")
_MAX_ENTRY_SECONDS = Decimal(24 * 3600)


class WorldError(Exception):
    """A request the world refuses; the message is a short sentence fit for a response body."""


class NotFound(WorldError):
    pass


class Forbidden(WorldError):
    pass


class Invalid(WorldError):
    pass


@dataclass(frozen=True, slots=True)
class Company:
    id: int
    name: str
    subdomain: str
    timestamp_timers: bool = False
    clock: str = "24h"  # "12h" or "24h"
    time_format: str = "decimal"  # or "hours_minutes"
    week_start_day: str = "Monday"
    plan_type: str = "business"
    decimal_symbol: str = "."
    thousands_separator: str = ","
    color_scheme: str = "orange"
    approval: bool = True


@dataclass(frozen=True, slots=True)
class SandboxUser:
    """A person who can sign in. `access_token`/`refresh_token` are valid OAuth tokens at start."""

    name: str
    id: int
    email: str
    password: str
    access_token: str
    refresh_token: str
    is_admin: bool
    first_name: str
    last_name: str
    time_zone: str  # IANA, e.g. "Europe/Berlin"
    rails_time_zone: str  # Harvest's display name, e.g. "Berlin"
    company: Company

    @property
    def timestamp_timers(self) -> bool:
        return self.company.timestamp_timers


@dataclass(frozen=True, slots=True)
class SandboxClient:
    id: int
    name: str
    company_id: int
    currency: str = "Euro - EUR"
    currency_symbol: str = "€"


@dataclass(frozen=True, slots=True)
class SandboxTask:
    id: int
    name: str
    billable: bool = True


@dataclass(frozen=True, slots=True)
class SandboxProject:
    id: int
    name: str
    code: str
    client: SandboxClient
    billable: bool
    tasks: tuple[SandboxTask, ...]

    def task(self, task_id: int) -> SandboxTask | None:
        return next((t for t in self.tasks if t.id == task_id), None)


@dataclass(frozen=True, slots=True)
class Catalog:
    """What does not change while the sandbox runs: who exists and what they may track to."""

    users: tuple[SandboxUser, ...]
    projects: tuple[SandboxProject, ...]
    assignments: dict[int, tuple[int, ...]]  # user id -> project ids, in display order

    def user_by_name(self, name: str) -> SandboxUser:
        for user in self.users:
            if user.name == name:
                return user
        raise KeyError(name)


@dataclass(slots=True)
class StoredEntry:
    """An entry as the world keeps it: exact seconds logged before the running timer (if any)."""

    id: int
    user_id: int
    spent_at: dt.date
    project_id: int
    task_id: int
    notes: str
    seconds: Decimal
    created_at: dt.datetime
    updated_at: dt.datetime
    timer_started_at: dt.datetime | None = None
    started_at: dt.time | None = None
    ended_at: dt.time | None = None


@dataclass(frozen=True, slots=True)
class SandboxEntry:
    """A read-only view of one entry as of the moment it was taken; hours include the timer."""

    id: int
    user_id: int
    spent_at: dt.date
    project_id: int
    task_id: int
    notes: str
    hours: Decimal  # two decimals, running time included
    hours_without_timer: Decimal
    seconds: Decimal  # exact, running time included
    running: bool
    timer_started_at: dt.datetime | None
    started_at: dt.time | None
    ended_at: dt.time | None
    is_locked: bool
    created_at: dt.datetime
    updated_at: dt.datetime
    project: SandboxProject
    task: SandboxTask
    timestamp_timers: bool


@dataclass(frozen=True, slots=True)
class TimerOutcome:
    """An entry whose timer was started (or created); `previous_hours` when another one stopped."""

    entry: SandboxEntry
    previous_hours: Decimal | None = None


@dataclass(frozen=True, slots=True)
class EntryFields:
    """Values sent to create or update an entry; `None` means "not sent" (or sent blank)."""

    notes: str | None = None
    hours: Decimal | None = None
    project_id: int | None = None
    task_id: int | None = None
    spent_at: dt.date | None = None
    started_at: dt.time | None = None
    ended_at: dt.time | None = None


def round_hours(seconds: Decimal) -> Decimal:
    return (seconds / 3600).quantize(_CENTS, rounding=ROUND_HALF_UP)


def _elapsed_seconds(since: dt.datetime, now: dt.datetime) -> Decimal:
    micro = (now - since) // dt.timedelta(microseconds=1)
    return Decimal(max(micro, 0)) / 1_000_000


@dataclass(slots=True)
class Timesheets:
    """The mutable part of the world, as persisted: entries, locked days and the next entry id."""

    entries: dict[int, StoredEntry] = field(default_factory=dict)
    locked_days: dict[int, set[dt.date]] = field(default_factory=dict)
    next_entry_id: int = 1


class World:
    def __init__(
        self,
        clock: Clock,
        catalog: Catalog,
        timesheets: Timesheets,
        on_change: Callable[[World], None] | None = None,
    ) -> None:
        self.clock = clock
        self.catalog = catalog
        self._sheets = timesheets
        self._lock = threading.RLock()
        self._on_change = on_change
        self._projects = {p.id: p for p in catalog.projects}
        self._users = {u.id: u for u in catalog.users}

    # ----- people and places -------------------------------------------------------------------

    @property
    def users(self) -> tuple[SandboxUser, ...]:
        return self.catalog.users

    def user(self, user_id: int) -> SandboxUser | None:
        return self._users.get(user_id)

    def user_by_name(self, name: str) -> SandboxUser:
        return self.catalog.user_by_name(name)

    def authenticate(self, email: str, password: str) -> SandboxUser | None:
        for user in self.catalog.users:
            if user.email.lower() == email.lower() and user.password == password:
                return user
        return None

    def timesheet_owner(self, actor: SandboxUser, of_user: int | None) -> SandboxUser:
        """Whose timesheet a call works on: the actor's, or (admins only) a colleague's."""
        if of_user is None or of_user == actor.id:
            return actor
        if not actor.is_admin:
            raise Forbidden("Only administrators can work with the timesheets of other users.")
        target = self._users.get(of_user)
        if target is None or target.company.id != actor.company.id:
            raise NotFound(f"No user {of_user} in this account.")
        return target

    def projects_for(self, user: SandboxUser) -> tuple[SandboxProject, ...]:
        return tuple(self._projects[p] for p in self.catalog.assignments.get(user.id, ()))

    def today(self, user: SandboxUser) -> dt.date:
        return today_in(user.time_zone, self.clock.now())

    def local_now(self, user: SandboxUser) -> dt.datetime:
        return self.clock.now().astimezone(zone(user.time_zone))

    # ----- reads ----------------------------------------------------------------------------------

    def day(self, user: SandboxUser, day: dt.date) -> list[SandboxEntry]:
        with self._lock:
            now = self.clock.now()
            stored = [e for e in self._sheets.entries.values() if e.user_id == user.id and e.spent_at == day]
            return [self._view(e, now) for e in sorted(stored, key=lambda e: (e.created_at, e.id))]

    def entries_of(self, user: SandboxUser) -> list[SandboxEntry]:
        with self._lock:
            now = self.clock.now()
            stored = [e for e in self._sheets.entries.values() if e.user_id == user.id]
            return [
                self._view(e, now) for e in sorted(stored, key=lambda e: (e.spent_at, e.created_at, e.id))
            ]

    def entry(self, user: SandboxUser, entry_id: int) -> SandboxEntry:
        with self._lock:
            return self._view(self._owned(user, entry_id), self.clock.now())

    def running(self, user: SandboxUser) -> SandboxEntry | None:
        with self._lock:
            now = self.clock.now()
            for e in self._sheets.entries.values():
                if e.user_id == user.id and e.timer_started_at is not None:
                    return self._view(e, now)
            return None

    def is_locked(self, user: SandboxUser, day: dt.date) -> bool:
        with self._lock:
            return day in self._sheets.locked_days.get(user.id, set())

    # ----- changes --------------------------------------------------------------------------------

    def add(self, actor: SandboxUser, owner: SandboxUser, fields: EntryFields) -> TimerOutcome:
        """Create an entry; with neither hours nor an end time it starts a timer on it."""
        with self._lock:
            now = self.clock.now()
            spent_at = fields.spent_at or self.today(owner)
            if fields.project_id is None or fields.task_id is None:
                raise Invalid("A project_id and a task_id are required.")
            self._check_assignment(owner, fields.project_id, fields.task_id)
            if self.is_locked(owner, spent_at) and not actor.is_admin:
                raise Forbidden(f"The timesheet of {spent_at.isoformat()} is locked.")
            entry = StoredEntry(
                id=self._sheets.next_entry_id,
                user_id=owner.id,
                spent_at=spent_at,
                project_id=fields.project_id,
                task_id=fields.task_id,
                notes=fields.notes or "",
                seconds=Decimal(0),
                created_at=now,
                updated_at=now,
            )
            starts_timer = fields.hours is None and fields.ended_at is None
            if fields.hours is not None:
                entry.seconds = self._checked_seconds(fields.hours * 3600)
            if owner.timestamp_timers:
                entry.started_at = fields.started_at
                entry.ended_at = None if starts_timer else fields.ended_at
                if fields.hours is None and fields.started_at is not None and fields.ended_at is not None:
                    entry.seconds = self._span(fields.started_at, fields.ended_at)
            self._sheets.next_entry_id += 1
            self._sheets.entries[entry.id] = entry
            previous = self._start_timer(owner, entry, now) if starts_timer else None
            self._changed()
            return TimerOutcome(self._view(entry, now), previous)

    def toggle(self, actor: SandboxUser, owner: SandboxUser, entry_id: int) -> TimerOutcome:
        """v1's toggle: stop the entry's timer if it runs, else start it (see `start`)."""
        with self._lock:
            stored = self._owned(owner, entry_id)
            if stored.timer_started_at is not None:
                return TimerOutcome(self.stop(actor, owner, entry_id))
            return self.start(actor, owner, entry_id)

    def start(self, actor: SandboxUser, owner: SandboxUser, entry_id: int) -> TimerOutcome:
        """Start the entry's timer, stopping any other. Timestamp accounts cannot restart a
        stopped entry: they get a new entry today with the same project, task and notes."""
        with self._lock:
            now = self.clock.now()
            stored = self._owned(owner, entry_id)
            self._check_editable(actor, owner, stored, EntryFields())
            if stored.timer_started_at is not None:
                return TimerOutcome(self._view(stored, now))
            if owner.timestamp_timers:
                stored = StoredEntry(
                    id=self._sheets.next_entry_id,
                    user_id=owner.id,
                    spent_at=self.today(owner),
                    project_id=stored.project_id,
                    task_id=stored.task_id,
                    notes=stored.notes,
                    seconds=Decimal(0),
                    created_at=now,
                    updated_at=now,
                )
                self._sheets.next_entry_id += 1
                self._sheets.entries[stored.id] = stored
            previous = self._start_timer(owner, stored, now)
            self._changed()
            return TimerOutcome(self._view(stored, now), previous)

    def stop(self, actor: SandboxUser, owner: SandboxUser, entry_id: int) -> SandboxEntry:
        with self._lock:
            now = self.clock.now()
            stored = self._owned(owner, entry_id)
            self._check_editable(actor, owner, stored, EntryFields())
            if stored.timer_started_at is not None:
                self._stop_timer(owner, stored, now)
                self._changed()
            return self._view(stored, now)

    def update(
        self, actor: SandboxUser, owner: SandboxUser, entry_id: int, fields: EntryFields
    ) -> SandboxEntry:
        """Overwrite the fields that were sent; the others keep their values ([ND] choice)."""
        with self._lock:
            now = self.clock.now()
            stored = self._owned(owner, entry_id)
            self._check_editable(actor, owner, stored, fields)
            project_id = fields.project_id if fields.project_id is not None else stored.project_id
            task_id = fields.task_id if fields.task_id is not None else stored.task_id
            self._check_assignment(owner, project_id, task_id)
            spent_at = fields.spent_at or stored.spent_at
            if spent_at != stored.spent_at and self.is_locked(owner, spent_at) and not actor.is_admin:
                raise Forbidden(f"The timesheet of {spent_at.isoformat()} is locked.")
            stored.project_id, stored.task_id, stored.spent_at = project_id, task_id, spent_at
            if fields.notes is not None:
                stored.notes = fields.notes
            if fields.hours is not None:
                stored.seconds = self._checked_seconds(fields.hours * 3600)
                if stored.timer_started_at is not None:
                    stored.timer_started_at = now
            elif owner.timestamp_timers and (fields.started_at or fields.ended_at):
                stored.started_at = fields.started_at or stored.started_at
                if stored.timer_started_at is None:
                    stored.ended_at = fields.ended_at or stored.ended_at
                if stored.started_at is not None and stored.ended_at is not None:
                    stored.seconds = self._span(stored.started_at, stored.ended_at)
            stored.updated_at = now
            self._changed()
            return self._view(stored, now)

    def delete(self, actor: SandboxUser, owner: SandboxUser, entry_id: int) -> None:
        with self._lock:
            stored = self._owned(owner, entry_id)
            self._check_editable(actor, owner, stored, EntryFields())
            del self._sheets.entries[entry_id]
            self._changed()

    # ----- for tests and the demo ---------------------------------------------------------------

    def lock_days(self, user: SandboxUser, days: Iterable[dt.date]) -> None:
        with self._lock:
            self._sheets.locked_days.setdefault(user.id, set()).update(days)
            self._changed()

    def timesheets(self) -> Timesheets:
        """A deep copy of the mutable state (for persistence)."""
        with self._lock:
            return Timesheets(
                entries={i: replace(e) for i, e in self._sheets.entries.items()},
                locked_days={u: set(d) for u, d in self._sheets.locked_days.items()},
                next_entry_id=self._sheets.next_entry_id,
            )

    # ----- rules ------------------------------------------------------------------------------------

    def _owned(self, owner: SandboxUser, entry_id: int) -> StoredEntry:
        stored = self._sheets.entries.get(entry_id)
        if stored is None or stored.user_id != owner.id:
            raise NotFound(f"No entry {entry_id} on this timesheet.")
        return stored

    def _check_assignment(self, owner: SandboxUser, project_id: int, task_id: int) -> None:
        if project_id not in self.catalog.assignments.get(owner.id, ()):
            raise Invalid(f"Project {project_id} is not a project you can track time to.")
        if self._projects[project_id].task(task_id) is None:
            raise Invalid(f"Task {task_id} is not a task of project {project_id}.")

    def _check_editable(
        self, actor: SandboxUser, owner: SandboxUser, stored: StoredEntry, fields: EntryFields
    ) -> None:
        if not self.is_locked(owner, stored.spent_at):
            return
        if not actor.is_admin:
            raise Forbidden("This entry is locked; only an administrator can change it.")
        moved = (
            (fields.project_id is not None and fields.project_id != stored.project_id)
            or (fields.task_id is not None and fields.task_id != stored.task_id)
            or (fields.spent_at is not None and fields.spent_at != stored.spent_at)
        )
        if moved:
            raise Forbidden("Project, task and date of a locked entry are read-only.")

    def _checked_seconds(self, seconds: Decimal) -> Decimal:
        if seconds < 0 or seconds > _MAX_ENTRY_SECONDS:
            raise Invalid("Hours must be between 0 and 24.")
        return seconds

    @staticmethod
    def _span(started: dt.time, ended: dt.time) -> Decimal:
        start = started.hour * 3600 + started.minute * 60
        end = ended.hour * 3600 + ended.minute * 60
        return Decimal((end - start) % (24 * 3600))

    def _start_timer(self, owner: SandboxUser, stored: StoredEntry, now: dt.datetime) -> Decimal | None:
        """Start `stored`'s timer; returns the final hours of the timer this stopped, if any."""
        previous: Decimal | None = None
        for other in self._sheets.entries.values():
            if other.user_id == owner.id and other.timer_started_at is not None and other is not stored:
                self._stop_timer(owner, other, now)
                previous = round_hours(other.seconds)
        stored.timer_started_at = now
        stored.updated_at = now
        if owner.timestamp_timers:
            stored.started_at = stored.started_at or self._local_time(owner, now)
            stored.ended_at = None
        return previous

    def _stop_timer(self, owner: SandboxUser, stored: StoredEntry, now: dt.datetime) -> None:
        assert stored.timer_started_at is not None
        stored.seconds += _elapsed_seconds(stored.timer_started_at, now)
        stored.timer_started_at = None
        stored.updated_at = now
        if owner.timestamp_timers:
            stored.ended_at = self._local_time(owner, now)

    @staticmethod
    def _local_time(owner: SandboxUser, now: dt.datetime) -> dt.time:
        return now.astimezone(zone(owner.time_zone)).time().replace(second=0, microsecond=0)

    def _view(self, stored: StoredEntry, now: dt.datetime) -> SandboxEntry:
        seconds = stored.seconds
        if stored.timer_started_at is not None:
            seconds += _elapsed_seconds(stored.timer_started_at, now)
        project = self._projects[stored.project_id]
        task = project.task(stored.task_id)
        assert task is not None
        owner = self._users[stored.user_id]
        return SandboxEntry(
            id=stored.id,
            user_id=stored.user_id,
            spent_at=stored.spent_at,
            project_id=stored.project_id,
            task_id=stored.task_id,
            notes=stored.notes,
            hours=round_hours(seconds),
            hours_without_timer=round_hours(stored.seconds),
            seconds=seconds,
            running=stored.timer_started_at is not None,
            timer_started_at=stored.timer_started_at,
            started_at=stored.started_at,
            ended_at=stored.ended_at,
            is_locked=stored.spent_at in self._sheets.locked_days.get(stored.user_id, set()),
            created_at=stored.created_at,
            updated_at=stored.updated_at,
            project=project,
            task=task,
            timestamp_timers=owner.timestamp_timers,
        )

    def _changed(self) -> None:
        if self._on_change is not None:
            self._on_change(self)
