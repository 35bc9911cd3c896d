"""The sandbox's people, projects and two weeks of plausible time, the same on every run.

Entries are seeded from a fixed random seed relative to each user's "today" (in their zone), so a
demo always shows a lived-in timesheet and tests can rely on the shape: today (even on a weekend) has
two stopped entries for every user, the last two weeks' workdays have 2-4 entries each, and the week before the
current one is locked (approved).
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from harvest_widget.core.calendar import today_in, week_of, zone
from harvest_widget.sandbox.world import (
    Catalog,
    Company,
    SandboxClient,
    SandboxProject,
    SandboxTask,
    SandboxUser,
    StoredEntry,
    Timesheets,
)

DEMO_EMAIL = "demo-email"
DEMO_PASSWORD = "demo-password"
SEED = 20061018

_STUDIO = Company(id=101, name="Demo Studio", subdomain="demo", clock="24h", time_format="decimal")
_BAKERY = Company(
    id=102,
    name="Sunrise Bakery",
    subdomain="sunrise",
    timestamp_timers=True,
    clock="12h",
    time_format="hours_minutes",
    week_start_day="Sunday",
    plan_type="solo",
    approval=False,
)

_DESIGN = SandboxTask(3001, "Design")
_DEVELOPMENT = SandboxTask(3002, "Development")
_MEETINGS = SandboxTask(3003, "Meetings")
_PROJECT_MANAGEMENT = SandboxTask(3004, "Project Management")
_RESEARCH = SandboxTask(3005, "Research", billable=False)
_ADMIN = SandboxTask(3006, "Admin", billable=False)
_BAKING = SandboxTask(3011, "Baking")
_DELIVERIES = SandboxTask(3012, "Deliveries")
_BOOKKEEPING = SandboxTask(3013, "Bookkeeping", billable=False)

_ACME = SandboxClient(4001, "Acme Corp", _STUDIO.id)
_GLOBEX = SandboxClient(4002, "Globex", _STUDIO.id, "United States Dollar - USD", "$")
_STUDIO_CLIENT = SandboxClient(4003, "Demo Studio", _STUDIO.id)
_CAFE = SandboxClient(4011, "Corner Café", _BAKERY.id, "United States Dollar - USD", "$")
_BAKERY_CLIENT = SandboxClient(4012, "Sunrise Bakery", _BAKERY.id, "United States Dollar - USD", "$")

PROJECTS: tuple[SandboxProject, ...] = (
    SandboxProject(
        2001,
        "Website Redesign",
        "ACME-01",
        _ACME,
        True,
        (_DESIGN, _DEVELOPMENT, _MEETINGS, _PROJECT_MANAGEMENT),
    ),
    SandboxProject(2002, "Mobile App", "ACME-02", _ACME, True, (_DESIGN, _DEVELOPMENT, _MEETINGS)),
    SandboxProject(2003, "Annual Report", "GLX-07", _GLOBEX, True, (_DESIGN, _RESEARCH, _MEETINGS)),
    SandboxProject(2004, "Internal", "", _STUDIO_CLIENT, False, (_ADMIN, _MEETINGS, _RESEARCH)),
    SandboxProject(2011, "Wholesale Orders", "CAFE", _CAFE, True, (_BAKING, _DELIVERIES)),
    SandboxProject(2012, "Shop", "", _BAKERY_CLIENT, False, (_BAKING, _BOOKKEEPING)),
)

_NOTES: dict[int, tuple[str, ...]] = {
    3001: ("Homepage wireframes", "Style guide colours", "Icon set review", "Layout for checkout"),
    3002: ("Fix login redirect", "API pagination", "Release build", "Code review", "Unit tests for cart"),
    3003: ("Weekly check-in", "Sprint planning", "Client call", "Retrospective"),
    3004: ("Estimates for phase 2", "Update the roadmap", "Budget review"),
    3005: ("Competitor research", "Read up on accessibility", "User interviews"),
    3006: ("Invoices and expenses", "Timesheet clean-up", "Email"),
    3011: ("Sourdough batch", "Croissants", "Birthday cake"),
    3012: ("Morning round", "Café delivery"),
    3013: ("Receipts", "VAT return"),
}


def _person(
    name: str,
    user_id: int,
    email: str,
    password: str,
    *,
    admin: bool,
    full_name: str,
    zones: str,
    company: Company,
) -> SandboxUser:
    """A sandbox user whose pre-issued tokens are named after them (easy to spot in logs).

    `zones` is "IANA name|Harvest's display name".
    """
    first_name, last_name = full_name.split(" ", 1)
    time_zone, rails_time_zone = zones.split("|")
    return SandboxUser(
        name=name,
        id=user_id,
        email=email,
        password=password,
        access_token=f"sandbox-{name}-access-token",
        refresh_token=f"sandbox-{name}-refresh-token",
        is_admin=admin,
        first_name=first_name,
        last_name=last_name,
        time_zone=time_zone,
        rails_time_zone=rails_time_zone,
        company=company,
    )


def demo_catalog() -> Catalog:
    users = (
        _person(
            "admin",
            1001,
            DEMO_EMAIL,
            DEMO_PASSWORD,
            admin=True,
            full_name="Dana Demo",
            zones="Europe/Berlin|Berlin",
            company=_STUDIO,
        ),
        _person(
            "member",
            1002,
            "member@example.com",
            "member-password",
            admin=False,
            full_name="Milo Member",
            zones="Europe/London|London",
            company=_STUDIO,
        ),
        _person(
            "timestamp",
            1003,
            "timestamp@example.com",
            "timestamp-password",
            admin=True,
            full_name="Tess Baker",
            zones="America/Los_Angeles|Pacific Time (US & Canada)",
            company=_BAKERY,
        ),
    )
    assignments = {1001: (2001, 2002, 2003, 2004), 1002: (2001, 2004), 1003: (2011, 2012)}
    return Catalog(users=users, projects=PROJECTS, assignments=assignments)


def demo_timesheets(catalog: Catalog, now: dt.datetime) -> Timesheets:
    """Two weeks of entries per user, ending with two entries today; last week locked."""
    rng = random.Random(SEED)
    projects = {p.id: p for p in catalog.projects}
    sheets = Timesheets(next_entry_id=500001)
    for user in catalog.users:
        today = today_in(user.time_zone, now)
        user_projects = [projects[p] for p in catalog.assignments[user.id]]
        for back in range(14, -1, -1):
            day = today - dt.timedelta(days=back)
            if day.weekday() >= 5 and back > 0:  # weekends off, but a demo always has a today
                continue
            count = 2 if back == 0 else rng.randint(2, 4)
            clock_at = dt.datetime.combine(day, dt.time(8, 30), zone(user.time_zone))
            for _ in range(count):
                project = rng.choice(user_projects)
                task = rng.choice(project.tasks)
                quarter_hours = rng.randint(2, 10)
                seconds = Decimal(quarter_hours * 900)
                ended = clock_at + dt.timedelta(seconds=int(seconds))
                created = min(ended.astimezone(dt.UTC), now)
                entry = StoredEntry(
                    id=sheets.next_entry_id,
                    user_id=user.id,
                    spent_at=day,
                    project_id=project.id,
                    task_id=task.id,
                    notes=rng.choice(_NOTES[task.id]),
                    seconds=seconds,
                    created_at=created,
                    updated_at=created,
                )
                if user.timestamp_timers:
                    entry.started_at, entry.ended_at = clock_at.time(), ended.time()
                sheets.entries[entry.id] = entry
                sheets.next_entry_id += 1
                clock_at = ended + dt.timedelta(minutes=15)
        last_week = week_of(today - dt.timedelta(days=7), user.company.week_start_day)
        if user.company.approval:
            sheets.locked_days[user.id] = set(last_week)
    return sheets
