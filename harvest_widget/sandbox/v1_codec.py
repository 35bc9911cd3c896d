"""Harvest v1's two wire formats for the sandbox: JSON (flat) and XML (wrapped, typed, dashed).

Output follows the v1 documentation and captured responses: `/daily` JSON carries `project_id` and
`task_id` as strings; `timer_started_at` appears only while a timer runs; XML dates are RFC 2822
style (`Wed, 18 Oct 2006`, datetimes `Thu, 17 Nov 2011 10:19:57 +0000`) except `spent_at`, which
the documentation shows as `2006-10-18`; `who_am_i` and `rate_limit_status` XML use dashed names.
Input accepts a flat JSON object or an XML `<request>`, ISO or RFC-style dates, times like `8:00am`.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import re
import xml.etree.ElementTree as ET
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

import defusedxml.ElementTree as SafeET

from harvest_widget.sandbox.world import EntryFields, Invalid, SandboxEntry, SandboxProject

Format = Literal["json", "xml"]

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTHS_LOWER = tuple(m.lower() for m in _MONTHS)
_ISO_DATE = re.compile(r"^(?P<y>\d{4})[-/](?P<m>\d{1,2})[-/](?P<d>\d{1,2})$")
_WEEKDAY_PREFIX = r"(?:[A-Za-z]{3,9},?\s+)?"
_DAY_MONTH_YEAR = re.compile(_WEEKDAY_PREFIX + r"(?P<d>\d{1,2})\s+(?P<month>[A-Za-z]{3,9})\s+(?P<y>\d{4})$")
_MONTH_DAY_YEAR = re.compile(_WEEKDAY_PREFIX + r"(?P<month>[A-Za-z]{3,9})\s+(?P<d>\d{1,2}),?\s+(?P<y>\d{4})$")
_TIME_OF_DAY = re.compile(r"^\s*(\d{1,2})(?::(\d{2}))?\s*([ap])?\.?\s*m?\.?\s*$", re.IGNORECASE)
_PROLOG = '<?xml version="1.0" encoding="UTF-8"?>\n'

# ----- values ----------------------------------------------------------------------------------


def rfc_date(day: dt.date) -> str:
    """`Wed, 18 Oct 2006`, independent of the process locale (Qt sets one in demo mode)."""
    return f"{_WEEKDAYS[day.weekday()]}, {day.day:02d} {_MONTHS[day.month - 1]} {day.year}"


def rfc_datetime(moment: dt.datetime) -> str:
    return email.utils.format_datetime(moment.astimezone(dt.UTC))


def iso_datetime(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def time_of_day(value: dt.time | None, clock: str) -> str:
    if value is None:
        return ""
    if clock == "24h":
        return f"{value.hour:02d}:{value.minute:02d}"
    hour = value.hour % 12 or 12
    return f"{hour}:{value.minute:02d}{'am' if value.hour < 12 else 'pm'}"


def parse_date(text: str) -> dt.date:
    """ISO (`2006-10-17`) or the docs' styles (`Tue, 17 Oct 2006`, `Sun, Jan 24 2015`).

    Parsed by hand, not with strptime, whose month names follow the process locale.
    """
    cleaned = " ".join(text.split())
    try:
        if match := _ISO_DATE.match(cleaned):
            return dt.date(int(match["y"]), int(match["m"]), int(match["d"]))
        if match := _DAY_MONTH_YEAR.match(cleaned) or _MONTH_DAY_YEAR.match(cleaned):
            month = _MONTHS_LOWER.index(match["month"][:3].lower()) + 1
            return dt.date(int(match["y"]), month, int(match["d"]))
    except ValueError:
        pass  # a month name or a day that does not exist: the same answer as no match
    raise Invalid(f"spent_at {text!r} is not a date; send YYYY-MM-DD.")


def parse_time_of_day(text: str) -> dt.time:
    match = _TIME_OF_DAY.match(text)
    if match is None:
        raise Invalid(f"{text.strip()!r} is not a time of day like 8:00am or 14:30.")
    hour, minute = int(match[1]), int(match[2] or 0)
    if match[3]:
        if not 1 <= hour <= 12:
            raise Invalid(f"{text.strip()!r} is not a time of day like 8:00am.")
        hour = hour % 12 + (12 if match[3].lower() == "p" else 0)
    if hour > 23 or minute > 59:
        raise Invalid(f"{text.strip()!r} is not a time of day like 8:00am or 14:30.")
    return dt.time(hour, minute)


def parse_hours(text: str) -> Decimal:
    cleaned = text.strip().replace(",", ".")
    try:
        if ":" in cleaned:
            hours, _, minutes = cleaned.partition(":")
            if int(minutes) >= 60:
                raise ValueError(minutes)
            return Decimal(int(hours or 0)) + Decimal(int(minutes)) / 60
        value = Decimal(cleaned)
    except (InvalidOperation, ValueError):
        raise Invalid(f"hours {text.strip()!r} is not a number of hours.") from None
    if not value.is_finite():
        raise Invalid(f"hours {text.strip()!r} is not a number of hours.")
    return value


def _parse_id(name: str, value: object) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        raise Invalid(f"{name} {value!r} is not an id.") from None


# ----- request bodies ----------------------------------------------------------------------------


def parse_entry_fields(body: bytes, body_format: Format) -> EntryFields:
    """The entry fields of an add/update body; blank values count as not sent."""
    raw = _json_fields(body) if body_format == "json" else _xml_fields(body)
    values = {k: ("" if v is None else str(v)).strip() for k, v in raw.items()}
    sent = {k: v for k, v in values.items() if v}
    return EntryFields(
        notes=str(raw["notes"] or "") if "notes" in raw else None,
        hours=parse_hours(sent["hours"]) if "hours" in sent else None,
        project_id=_parse_id("project_id", sent["project_id"]) if "project_id" in sent else None,
        task_id=_parse_id("task_id", sent["task_id"]) if "task_id" in sent else None,
        spent_at=parse_date(sent["spent_at"]) if "spent_at" in sent else None,
        started_at=parse_time_of_day(sent["started_at"]) if "started_at" in sent else None,
        ended_at=parse_time_of_day(sent["ended_at"]) if "ended_at" in sent else None,
    )


def _json_fields(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body.decode("utf-8") or "{}")
    except (UnicodeDecodeError, ValueError):
        raise Invalid("The body is not valid JSON.") from None
    if not isinstance(value, dict):
        raise Invalid("The JSON body must be an object.")
    if set(value) == {"request"}:
        raise Invalid("JSON bodies are flat: send the fields without a request wrapper.")
    return value


def _xml_fields(body: bytes) -> dict[str, Any]:
    try:
        root = SafeET.fromstring(body or b"<request/>")
    except (ET.ParseError, ValueError) as error:
        raise Invalid(f"The body is not valid XML ({error}).") from None
    if root.tag != "request":
        raise Invalid(f"The XML body must be a <request>, not <{root.tag}>.")
    children = list(root)
    if len(children) == 1 and children[0].tag == "day_entry":
        children = list(children[0])
    return {child.tag: child.text or "" for child in children}


# ----- responses -----------------------------------------------------------------------------------


def _hours_number(value: Decimal) -> float:
    # float of a two-place Decimal prints back as the same two places (e.g. 0.37).
    return float(value)


def entry_json(entry: SandboxEntry, clock: str) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": entry.id,
        "spent_at": entry.spent_at.isoformat(),
        "user_id": entry.user_id,
        "client": entry.project.client.name,
        "project_id": str(entry.project_id),
        "project": entry.project.name,
        "task_id": str(entry.task_id),
        "task": entry.task.name,
        "hours": _hours_number(entry.hours),
        "hours_without_timer": _hours_number(entry.hours_without_timer),
        "notes": entry.notes or None,
        "is_closed": entry.is_locked,
        "created_at": iso_datetime(entry.created_at),
        "updated_at": iso_datetime(entry.updated_at),
    }
    if entry.timer_started_at is not None:
        item["timer_started_at"] = iso_datetime(entry.timer_started_at)
    if entry.timestamp_timers:
        item["started_at"] = time_of_day(entry.started_at, clock)
        item["ended_at"] = "" if entry.running else time_of_day(entry.ended_at, clock)
    return item


def project_json(project: SandboxProject) -> dict[str, Any]:
    return {
        "id": project.id,
        "name": project.name,
        "code": project.code,
        "billable": project.billable,
        "client": project.client.name,
        "client_id": project.client.id,
        "client_currency": project.client.currency,
        "client_currency_symbol": project.client.currency_symbol,
        "tasks": [{"id": t.id, "name": t.name, "billable": t.billable} for t in project.tasks],
    }


def _add(parent: ET.Element, name: str, value: object, kind: str | None = None) -> ET.Element:
    child = ET.SubElement(parent, name, {"type": kind} if kind else {})
    if value is None:
        child.set("nil", "true")
    elif isinstance(value, bool):
        child.text = "true" if value else "false"
    else:
        child.text = str(value)
    return child


def _entry_xml(parent: ET.Element, entry: SandboxEntry, clock: str) -> None:
    node = ET.SubElement(parent, "day_entry")
    _add(node, "id", entry.id, "integer")
    _add(node, "spent_at", entry.spent_at.isoformat(), "date")
    _add(node, "user_id", entry.user_id, "integer")
    _add(node, "client", entry.project.client.name)
    _add(node, "project_id", entry.project_id)
    _add(node, "project", entry.project.name)
    _add(node, "task_id", entry.task_id)
    _add(node, "task", entry.task.name)
    _add(node, "hours", entry.hours, "float")
    _add(node, "hours_without_timer", entry.hours_without_timer, "float")
    _add(node, "notes", entry.notes)
    _add(node, "is_closed", entry.is_locked, "boolean")
    if entry.timer_started_at is not None:
        _add(node, "timer_started_at", rfc_datetime(entry.timer_started_at), "datetime")
    _add(node, "created_at", rfc_datetime(entry.created_at), "datetime")
    _add(node, "updated_at", rfc_datetime(entry.updated_at), "datetime")
    if entry.timestamp_timers:
        _add(node, "started_at", time_of_day(entry.started_at, clock))
        _add(node, "ended_at", "" if entry.running else time_of_day(entry.ended_at, clock))


def _project_xml(parent: ET.Element, project: SandboxProject) -> None:
    node = ET.SubElement(parent, "project")
    _add(node, "name", project.name)
    _add(node, "code", project.code)
    _add(node, "id", project.id, "integer")
    _add(node, "billable", project.billable, "boolean")
    _add(node, "client", project.client.name)
    tasks = ET.SubElement(node, "tasks")
    for task in project.tasks:
        task_node = ET.SubElement(tasks, "task")
        _add(task_node, "name", task.name)
        _add(task_node, "id", task.id, "integer")
        _add(task_node, "billable", task.billable, "boolean")


def xml_document(root: ET.Element) -> bytes:
    ET.indent(root)
    return (_PROLOG + ET.tostring(root, encoding="unicode") + "\n").encode()


def daily_body(
    body_format: Format,
    day: dt.date,
    entries: list[SandboxEntry],
    projects: tuple[SandboxProject, ...] | None,
    clock: str,
) -> bytes:
    """`/daily`: `projects` None (slim) leaves the list out."""
    if body_format == "json":
        value: dict[str, Any] = {
            "for_day": day.isoformat(),
            "day_entries": [entry_json(e, clock) for e in entries],
        }
        if projects is not None:
            value["projects"] = [project_json(p) for p in projects]
        return json.dumps(value).encode()
    root = ET.Element("daily")
    _add(root, "for_day", rfc_date(day), "date")
    day_entries = ET.SubElement(root, "day_entries")
    for entry in entries:
        _entry_xml(day_entries, entry, clock)
    if projects is not None:
        projects_node = ET.SubElement(root, "projects")
        for project in projects:
            _project_xml(projects_node, project)
    return xml_document(root)


def entry_body(
    body_format: Format,
    entry: SandboxEntry,
    clock: str,
    *,
    root: str = "timer",
    previous: Decimal | None = None,
) -> bytes:
    """One entry: flat JSON, or `<timer>`/`<add>` around a `<day_entry>` in XML."""
    if body_format == "json":
        value = entry_json(entry, clock)
        if previous is not None:
            value["hours_for_previously_running_timer"] = _hours_number(previous)
        return json.dumps(value).encode()
    node = ET.Element(root)
    _entry_xml(node, entry, clock)
    if previous is not None:
        _add(node, "hours_for_previously_running_timer", previous, "float")
    return xml_document(node)


def hash_body(body_format: Format, tree: dict[str, Any]) -> bytes:
    """who_am_i and rate_limit_status: underscored JSON keys, a dashed, typed `<hash>` in XML."""
    if body_format == "json":
        return json.dumps(tree, default=_json_datetime).encode()
    root = ET.Element("hash")
    _hash_xml(root, tree)
    return xml_document(root)


def _json_datetime(value: object) -> str:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _hash_xml(parent: ET.Element, tree: dict[str, Any]) -> None:
    for key, value in tree.items():
        name = key.replace("_", "-")
        if isinstance(value, dict):
            _hash_xml(ET.SubElement(parent, name), value)
        elif isinstance(value, bool):
            _add(parent, name, value, "boolean")
        elif isinstance(value, int):
            _add(parent, name, value, "integer")
        elif isinstance(value, dt.datetime):
            _add(parent, name, value.astimezone(dt.UTC).isoformat(), "datetime")
        elif value is None:
            _add(parent, name, None)
        else:
            _add(parent, name, value)
