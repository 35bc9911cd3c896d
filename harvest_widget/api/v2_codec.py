"""Harvest REST API v2 JSON <-> `core` values.

Pure functions, no HTTP. Where the v2 docs are silent (see shared/harvest-api/v2.md) the codec takes
the safe side: unknown keys are ignored, ids may arrive as numbers or strings, hours arrive as JSON
numbers and become `Decimal` through their shortest text form, and a body that is not what v2 sends
raises `ProtocolError` instead of producing a half-read value.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from harvest_widget.api.errors import ProtocolError, ValidationError
from harvest_widget.core.account import HoursFormat, TimerMode, WhoAmI
from harvest_widget.core.time_zones import iana_zone_name
from harvest_widget.core.timesheet import Entry, EntryChanges, EntryDraft, Project, Task

JsonObject = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class HarvestAccount:
    """One account a Harvest ID token may act on (`GET /api/v2/accounts`)."""

    id: int
    name: str
    product: str = "harvest"


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a v2 list: its items and where the next page is (None at the end)."""

    items: tuple[JsonObject, ...]
    next_url: str | None
    next_page: int | None


# ---- reading -------------------------------------------------------------------------------------


def parse_json(text: str) -> Any:
    """The JSON body, or ProtocolError (v2 answers 2xx with JSON only)."""
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ProtocolError("Harvest sent a reply that is not valid JSON.", raw=text[:2000]) from exc


def parse_whoami(me: JsonObject, company: JsonObject) -> WhoAmI:
    """`GET /v2/users/me` + `GET /v2/company` as the account facts the engine needs."""
    roles = _list(me.get("access_roles")) + _list(me.get("roles"))
    return WhoAmI(
        user_id=_int(me, "id"),
        email=_str(me.get("email")),
        first_name=_str(me.get("first_name")),
        last_name=_str(me.get("last_name")),
        is_admin="administrator" in roles,
        time_zone=iana_zone_name(_str(me.get("timezone"))),
        timer_mode=TimerMode.TIMESTAMP if company.get("wants_timestamp_timers") else TimerMode.DURATION,
        clock="12h" if company.get("clock") == "12h" else "24h",
        hours_format=(
            HoursFormat.HOURS_MINUTES
            if company.get("time_format") == "hours_minutes"
            else HoursFormat.DECIMAL
        ),
        week_start_day=_str(company.get("week_start_day")) or "Monday",
        company_name=_str(company.get("name")),
        base_uri=_str(company.get("base_uri")),
    )


def parse_project_assignments(assignments: Sequence[JsonObject]) -> tuple[Project, ...]:
    """Active project assignments as projects with their active tasks, sorted for pickers."""
    projects: list[Project] = []
    for assignment in assignments:
        if assignment.get("is_active") is False:
            continue
        project = _object(assignment, "project")
        client = assignment.get("client") or {}
        tasks = tuple(
            Task(
                id=_int(_object(ta, "task"), "id"),
                name=_str(_object(ta, "task").get("name")),
                billable=bool(ta.get("billable", True)),
            )
            for ta in _objects(assignment.get("task_assignments"))
            if ta.get("is_active") is not False
        )
        projects.append(
            Project(
                id=_int(project, "id"),
                name=_str(project.get("name")),
                code=_str(project.get("code")),
                client_name=_str(client.get("name")),
                client_id=_optional_int(client.get("id")),
                billable=any(t.billable for t in tasks) if tasks else True,
                tasks=tasks,
            )
        )
    return tuple(sorted(projects, key=lambda p: (p.client_name.casefold(), p.name.casefold(), p.id)))


def parse_entry(obj: JsonObject, *, timestamps: bool) -> Entry:
    """A v2 time entry. `timestamps` (the company's mode) decides whether start/end times are kept.

    WORKAROUND: v2 documents `timer_started_at` only "if tracking by duration", so a running entry on
    a timestamp account may have it null; `core.Entry` knows "running" by that field, so such an
    entry gets its `updated_at` (or the time of reading) as the timer start.
    """
    if not isinstance(obj, Mapping):
        raise ProtocolError("Harvest sent a time entry that is not an object.", raw=str(obj)[:2000])
    project = _object(obj, "project")
    task = _object(obj, "task")
    client = obj.get("client") or {}
    user = obj.get("user") or {}
    updated_at = _datetime(obj.get("updated_at"))
    timer_started_at = _datetime(obj.get("timer_started_at"))
    if obj.get("is_running") and timer_started_at is None:
        timer_started_at = updated_at or dt.datetime.now(dt.UTC)
    if obj.get("is_running") is False:
        timer_started_at = None
    return Entry(
        id=_int(obj, "id"),
        spent_on=_date(obj.get("spent_date")),
        project_id=_int(project, "id"),
        task_id=_int(task, "id"),
        hours=_decimal(obj.get("hours")),
        notes=_str(obj.get("notes")),
        user_id=_optional_int(user.get("id")),
        client_name=_str(client.get("name")),
        project_name=_str(project.get("name")),
        task_name=_str(task.get("name")),
        hours_without_timer=(
            _decimal(obj["hours_without_timer"]) if obj.get("hours_without_timer") is not None else None
        ),
        timer_started_at=timer_started_at,
        started_at=(_str(obj.get("started_time")) or None) if timestamps else None,
        ended_at=(_str(obj.get("ended_time")) or None) if timestamps else None,
        is_locked=bool(obj.get("is_locked")),
        locked_reason=_str(obj.get("locked_reason")) or None,
        created_at=_datetime(obj.get("created_at")),
        updated_at=updated_at,
    )


def parse_page(body: Any, items_key: str) -> Page:
    """One page of a list response (`time_entries`, `project_assignments`, ...)."""
    if not isinstance(body, Mapping) or not isinstance(body.get(items_key), list):
        raise ProtocolError(f"Harvest sent a list without “{items_key}”.", raw=str(body)[:2000])
    links = body.get("links") or {}
    next_url = links.get("next") if isinstance(links, Mapping) else None
    return Page(
        items=_objects(body[items_key]),
        next_url=next_url if isinstance(next_url, str) and next_url else None,
        next_page=_optional_int(body.get("next_page")),
    )


def parse_accounts(body: Any) -> tuple[HarvestAccount, ...]:
    """`GET /api/v2/accounts`: only the Harvest accounts (Forecast accounts are not for us)."""
    if not isinstance(body, Mapping) or not isinstance(body.get("accounts"), list):
        raise ProtocolError("Harvest ID sent an account list without “accounts”.", raw=str(body)[:2000])
    return tuple(
        HarvestAccount(id=_int(a, "id"), name=_str(a.get("name")), product=_str(a.get("product")))
        for a in _objects(body["accounts"])
        if a.get("product") == "harvest"
    )


def error_message(text: str) -> str | None:
    """The human part of a v2 error body (`message`, or OAuth's `error_description`), if any.

    v2's error body format is not documented; a JSON `message` is what third parties saw.
    """
    try:
        body = json.loads(text)
    except ValueError:
        return None
    if not isinstance(body, Mapping):
        return None
    for key in ("message", "error_description", "error"):
        value = body.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    errors = body.get("errors")
    if isinstance(errors, list) and errors and all(isinstance(e, str) for e in errors):
        return "; ".join(errors)
    return None


# ---- writing -------------------------------------------------------------------------------------


def draft_body(draft: EntryDraft, mode: TimerMode) -> dict[str, Any]:
    """`POST /v2/time_entries` in the variant the company uses (v2 documents each only there).

    Duration mode: no `hours` starts a timer. Timestamp mode: no `ended_time` starts a timer, and
    there is no `hours` parameter at all, so a draft with only hours is refused before sending.
    """
    body: dict[str, Any] = {
        "project_id": draft.project_id,
        "task_id": draft.task_id,
        "spent_date": draft.spent_on.isoformat(),
        "notes": draft.notes,
    }
    if mode is TimerMode.TIMESTAMP:
        if draft.hours is not None and not (draft.started_at or draft.ended_at):
            raise ValidationError(_TIMESTAMP_HOURS_MESSAGE)
        if draft.started_at:
            body["started_time"] = draft.started_at
        if draft.ended_at:
            body["ended_time"] = draft.ended_at
    elif draft.hours is not None:
        body["hours"] = _hours_text(draft.hours)
    return body


def changes_body(changes: EntryChanges, mode: TimerMode, *, running: bool) -> dict[str, Any]:
    """`PATCH /v2/time_entries/{id}`: only the fields that change.

    `hours` is never sent for a running timer (Harvest tracks it; sending a stale value would
    overwrite tracked time) nor on timestamp accounts (no such parameter there): asking for it raises
    `ValidationError` with a user-ready sentence instead of silently dropping the change.
    """
    body: dict[str, Any] = {}
    if changes.notes is not None:
        body["notes"] = changes.notes
    if changes.project_id is not None:
        body["project_id"] = changes.project_id
    if changes.task_id is not None:
        body["task_id"] = changes.task_id
    if changes.spent_on is not None:
        body["spent_date"] = changes.spent_on.isoformat()
    if changes.hours is not None:
        if mode is TimerMode.TIMESTAMP:
            raise ValidationError(_TIMESTAMP_HOURS_MESSAGE)
        if running:
            raise ValidationError("Stop the timer before changing its hours.")
        body["hours"] = _hours_text(changes.hours)
    if mode is TimerMode.TIMESTAMP:
        if changes.started_at is not None:
            body["started_time"] = changes.started_at
        if changes.ended_at is not None:
            body["ended_time"] = changes.ended_at
    return body


_TIMESTAMP_HOURS_MESSAGE = "This Harvest account tracks start and end times; enter those instead of hours."


# ---- field helpers -------------------------------------------------------------------------------


def _hours_text(hours: Decimal) -> str:
    # JSON number text without float rounding: Harvest reads "1.5" and 1.5 alike.
    return format(hours.normalize(), "f")


def _object(obj: JsonObject, key: str) -> JsonObject:
    value = obj.get(key)
    if not isinstance(value, Mapping):
        raise ProtocolError(f"Harvest sent an object without “{key}”.", raw=str(obj)[:2000])
    return value


def _objects(value: Any) -> tuple[JsonObject, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(item for item in value if isinstance(item, Mapping))


def _list(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _int(obj: JsonObject, key: str) -> int:
    value = _optional_int(obj.get(key))
    if value is None:
        raise ProtocolError(f"Harvest sent no usable “{key}”.", raw=str(obj)[:2000])
    return value


def _optional_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def _decimal(value: Any) -> Decimal:
    if value is None:
        return Decimal("0.00")
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ProtocolError(f"Harvest sent hours that are not a number: {value!r}.")
    try:
        result = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation as exc:
        raise ProtocolError(f"Harvest sent hours that are not a number: {value!r}.") from exc
    if not result.is_finite():
        raise ProtocolError(f"Harvest sent hours that are not a number: {value!r}.")
    return result


def _date(value: Any) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise ProtocolError(f"Harvest sent a date that is not YYYY-MM-DD: {value!r}.") from exc


def _datetime(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise ProtocolError(f"Harvest sent a time that is not ISO 8601: {value!r}.") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
