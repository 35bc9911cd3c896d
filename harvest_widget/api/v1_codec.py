"""Harvest Time Tracking API v1 bodies (JSON and XML) <-> `core` values.

Pure functions, no HTTP. Both formats are first loaded into one plain tree (dicts, lists, scalars)
so the field rules are written once:

- JSON is flat: no `request` wrapper on input, no `timer`/`add`/`day_entry` wrapper on output;
  numbers are read as `Decimal` (never through float).
- XML has `<request>` on input and `<daily>`, `<timer>`/`<add>` and `<hash>` roots on output, `type`
  attributes, RFC-2822-style dates and stray whitespace inside elements; it is parsed only through
  defusedxml.
- Element and key names may be dashed (who_am_i, rate_limit_status) or underscored: both are read.
- Ids may be numbers or strings, `timer_started_at` is absent, null or empty when stopped, unknown
  fields are ignored.

Anything unreadable raises `ProtocolError` carrying the raw body for the log.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, Literal, TypeVar
from xml.etree import ElementTree

import defusedxml.ElementTree as SafeElementTree
from defusedxml import DefusedXmlException

from harvest_widget.api.errors import ProtocolError
from harvest_widget.core.account import HoursFormat, RateLimitStatus, TimerMode, WhoAmI
from harvest_widget.core.time_zones import iana_zone_from_utc_offset, iana_zone_name
from harvest_widget.core.timesheet import (
    ZERO_HOURS,
    Day,
    Entry,
    EntryChanges,
    EntryDraft,
    Project,
    Task,
    TimerResult,
)

DataFormat = Literal["json", "xml"]
MEDIA_TYPES: Mapping[DataFormat, str] = {"json": "application/json", "xml": "application/xml"}

Tree = Any  # what `_load` returns: dicts with underscored keys, lists, str/int/Decimal/bool/None
T = TypeVar("T")

# XML containers whose children are list items (the rest become dicts keyed by child tag).
_XML_LISTS = frozenset({"day_entries", "projects", "tasks"})
# What XML 1.0 can carry; anything else (most control characters) is dropped from XML bodies.
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_MONTHS = {name: number for number, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1
)}  # fmt: skip
# "Wed, 18 Oct 2006" (docs) and "Sun, Jan 24 2015" (help pages); English names whatever the locale.
_RFC_DATE = re.compile(
    r"^(?:[a-z]{3},?\s+)?"
    r"(?:(?P<day1>\d{1,2})\s+(?P<month1>[a-z]{3})[a-z]*|(?P<month2>[a-z]{3})[a-z]*\s+(?P<day2>\d{1,2}),?)"
    r"\s+(?P<year>\d{4})$"
)
_BLANK_HOURS = {"json": "", "xml": " "}  # "leave the hours parameter blank" starts a timer


# ---- reading -------------------------------------------------------------------------------------


def parse_day(body: bytes, data_format: DataFormat, *, fallback_day: dt.date | None = None) -> Day:
    """`GET /daily[/{doy}/{year}]`: the day's entries and (unless slim) the assignable projects."""
    return _read(body, data_format, "a timesheet day", lambda tree: _day(tree, fallback_day))


def parse_timer(body: bytes, data_format: DataFormat, *, fallback_day: dt.date | None = None) -> TimerResult:
    """A single-entry reply (show, toggle, add), with `hours_for_previously_running_timer`.

    `fallback_day` fills `spent_at` when the reply omits it (the old `/daily/add` doc example does).
    """
    return _read(body, data_format, "an entry", lambda tree: _timer_result(tree, fallback_day))


def parse_entry(body: bytes, data_format: DataFormat) -> Entry:
    """`GET /daily/show/{id}`."""
    return parse_timer(body, data_format).entry


def parse_whoami(body: bytes, data_format: DataFormat) -> WhoAmI:
    """`GET /account/who_am_i`."""
    return _read(body, data_format, "account details", _whoami)


def parse_rate_limit_status(body: bytes, data_format: DataFormat) -> RateLimitStatus:
    """`GET /account/rate_limit_status`."""
    return _read(body, data_format, "a throttle status", _rate_limit_status)


def _read(body: bytes, data_format: DataFormat, what: str, reader: Callable[[Tree], T]) -> T:
    try:
        return reader(_load(body, data_format))
    except ProtocolError:
        raise
    except (
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        ArithmeticError,
        SyntaxError,
        RecursionError,
    ) as exc:
        # ElementTree.ParseError is a SyntaxError; DefusedXmlException and JSON errors are ValueErrors.
        raise ProtocolError(
            f"Harvest sent {what} that the widget could not read.",
            raw=body.decode("utf-8", errors="replace"),
        ) from exc


def _load(body: bytes, data_format: DataFormat) -> Tree:
    if data_format == "json":
        return _normalized(json.loads(body.decode("utf-8"), parse_float=Decimal))
    try:
        root = SafeElementTree.fromstring(body)
    except DefusedXmlException as exc:  # entities, DTDs: refuse, never expand
        raise ValueError(f"forbidden XML construct: {exc}") from exc
    return _xml_tree(root)


def _normalized(value: Tree) -> Tree:
    if isinstance(value, dict):
        return {_key(k): _normalized(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalized(v) for v in value]
    return value


def _key(name: str) -> str:
    return name.replace("-", "_")


def _xml_tree(element: ElementTree.Element) -> Tree:
    if element.get("nil") == "true":
        return None
    children = list(element)
    if element.get("type") == "array" or _key(element.tag) in _XML_LISTS:
        return [_xml_tree(child) for child in children]
    if children:
        return {_key(child.tag): _xml_tree(child) for child in children}
    return element.text or ""


def _day(tree: Tree, fallback_day: dt.date | None) -> Day:
    for_day = _optional_date(tree.get("for_day")) or fallback_day
    if for_day is None:
        raise ValueError("the day has no for_day")
    return Day(
        date=for_day,
        entries=tuple(_entry(item, for_day) for item in _items(tree.get("day_entries"))),
        projects=tuple(_project(item) for item in _items(tree.get("projects"))),
    )


def _items(value: Tree) -> list[Tree]:
    if value is None or value == "":
        return []
    if not isinstance(value, list):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    return value


def _project(tree: Tree) -> Project:
    return Project(
        id=_int(tree["id"]),
        name=_text(tree.get("name")),
        code=_text(tree.get("code")),
        client_name=_text(tree.get("client")),
        client_id=_optional_int(tree.get("client_id")),
        billable=_bool(tree.get("billable"), default=True),
        tasks=tuple(
            Task(
                id=_int(task["id"]), name=_text(task.get("name")), billable=_bool(task.get("billable"), True)
            )
            for task in _items(tree.get("tasks"))
        ),
    )


def _timer_result(tree: Tree, fallback_day: dt.date | None) -> TimerResult:
    for wrapper in ("timer", "add"):  # 2010-era JSON replies were {"add": {"day_entry": {...}}}
        if isinstance(tree.get(wrapper), dict):
            tree = tree[wrapper]
    entry_tree = tree["day_entry"] if isinstance(tree.get("day_entry"), dict) else tree
    previous = tree.get("hours_for_previously_running_timer")
    return TimerResult(
        entry=_entry(entry_tree, fallback_day),
        previous_timer_hours=None if _blank(previous) else _decimal(previous),
    )


def _entry(tree: Tree, fallback_day: dt.date | None) -> Entry:
    spent_on = _optional_date(tree.get("spent_at")) or fallback_day
    if spent_on is None:
        raise ValueError("the entry has no spent_at")
    is_billed = _bool(tree.get("is_billed"), default=False)
    is_closed = _bool(tree.get("is_closed"), default=False)
    hours_without_timer = tree.get("hours_without_timer")
    return Entry(
        id=_int(tree["id"]),
        spent_on=spent_on,
        project_id=_int(tree["project_id"]),
        task_id=_int(tree["task_id"]),
        hours=ZERO_HOURS if _blank(tree.get("hours")) else _decimal(tree["hours"]),
        notes=_notes(tree.get("notes")),
        user_id=_optional_int(tree.get("user_id")),
        client_name=_text(tree.get("client")),
        project_name=_text(tree.get("project")),
        task_name=_text(tree.get("task")),
        hours_without_timer=None if _blank(hours_without_timer) else _decimal(hours_without_timer),
        timer_started_at=_optional_datetime(tree.get("timer_started_at")),
        started_at=_text(tree.get("started_at")) or None,
        ended_at=_text(tree.get("ended_at")) or None,
        is_locked=is_billed or is_closed,
        locked_reason="invoiced" if is_billed else "approved" if is_closed else None,
        created_at=_optional_datetime(tree.get("created_at")),
        updated_at=_optional_datetime(tree.get("updated_at")),
    )


def _whoami(tree: Tree) -> WhoAmI:
    user, company = tree["user"], tree.get("company") or {}
    timestamp_timers = _bool(user.get("timestamp_timers"), default=False) or _bool(
        company.get("timestamp_timers"), default=False
    )
    return WhoAmI(
        user_id=_int(user["id"]),
        email=_text(user.get("email")),
        first_name=_text(user.get("first_name")),
        last_name=_text(user.get("last_name")),
        is_admin=_bool(user.get("admin"), default=False),
        time_zone=_time_zone(user),
        timer_mode=TimerMode.TIMESTAMP if timestamp_timers else TimerMode.DURATION,
        clock=_text(company.get("clock")) or "24h",
        hours_format=(
            HoursFormat.HOURS_MINUTES
            if _text(company.get("time_format")) == HoursFormat.HOURS_MINUTES.value
            else HoursFormat.DECIMAL
        ),
        week_start_day=_text(company.get("week_start_day")) or "Monday",
        company_name=_text(company.get("name")),
        base_uri=_text(company.get("base_uri")),
    )


def _time_zone(user: Tree) -> str:
    """IANA `timezone_identifier` first, then the Rails `timezone` name, then the UTC offset."""
    for candidate in (_text(user.get("timezone_identifier")), _text(user.get("timezone"))):
        if candidate:
            name = iana_zone_name(candidate)
            if name != "UTC" or candidate.upper() in {"UTC", "ETC/UTC"}:
                return name
    return iana_zone_from_utc_offset(_optional_int(user.get("timezone_utc_offset")))


def _rate_limit_status(tree: Tree) -> RateLimitStatus:
    return RateLimitStatus(
        count=_int(tree["count"]),
        max_calls=_int(tree["max_calls"]),
        timeframe_seconds=_int(tree["timeframe_limit"]),
        lockout_seconds=_optional_int(tree.get("lockout_seconds")),
    )


# ---- scalar readers (accept both JSON natives and XML text) ------------------------------------------


def _blank(value: Tree) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: Tree) -> str:
    return "" if value is None else str(value).strip()


def _notes(value: Tree) -> str:
    # Notes are the user's text: kept exactly (no strip), null means none.
    return "" if value is None else str(value)


def _int(value: Tree) -> int:
    if isinstance(value, bool):
        raise TypeError("a boolean is not an id")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    raise ValueError(f"not an integer: {value!r}")


def _optional_int(value: Tree) -> int | None:
    return None if _blank(value) else _int(value)


def _decimal(value: Tree) -> Decimal:
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    result = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return result


def _bool(value: Tree, default: bool) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if not text:
        return default
    if text in {"true", "1", "yes"}:
        return True
    if text in {"false", "0", "no"}:
        return False
    raise ValueError(f"not a boolean: {value!r}")


def _optional_date(value: Tree) -> dt.date | None:
    text = _text(value)
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    match = _RFC_DATE.match(text.lower())
    if not match:
        raise ValueError(f"not a date: {value!r}")
    month = _MONTHS[match["month1"] or match["month2"]]
    return dt.date(int(match["year"]), month, int(match["day1"] or match["day2"]))


def _optional_datetime(value: Tree) -> dt.datetime | None:
    """ISO-8601 ("...Z", "+00:00") or RFC 2822 ("Thu, 17 Nov 2011 10:19:57 +0000"), always UTC."""
    text = _text(value)
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.removesuffix(" UTC"))
    except ValueError:
        moment = email.utils.parsedate_to_datetime(text)
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)


# ---- writing -------------------------------------------------------------------------------------


def encode_draft(draft: EntryDraft, data_format: DataFormat) -> bytes:
    """The `POST /daily/add` body; a draft without hours sends them blank, which starts a timer."""
    fields: dict[str, object] = {
        "notes": draft.notes,
        "project_id": draft.project_id,
        "task_id": draft.task_id,
        "spent_at": draft.spent_on,
    }
    if draft.hours is not None:
        fields["hours"] = draft.hours
    elif draft.starts_timer:
        fields["hours"] = _BLANK_HOURS[data_format]
    if draft.started_at is not None:
        fields["started_at"] = draft.started_at
    if draft.ended_at is not None:
        fields["ended_at"] = draft.ended_at
    return _encode("request", fields, data_format)


def encode_changes(changes: EntryChanges, data_format: DataFormat) -> bytes:
    """The `POST /daily/update/{id}` body: exactly the fields that are set (same shape as add)."""
    values = {
        "notes": changes.notes,
        "hours": changes.hours,
        "project_id": changes.project_id,
        "task_id": changes.task_id,
        "spent_at": changes.spent_on,
        "started_at": changes.started_at,
        "ended_at": changes.ended_at,
    }
    return _encode("request", {k: v for k, v in values.items() if v is not None}, data_format)


def encode_timer(result: TimerResult, data_format: DataFormat, *, root: str = "timer") -> bytes:
    """An entry as Harvest sends it (show/toggle reply; `root="add"` for a create reply).

    The inverse of `parse_timer`, used by tests and fixtures to speak exactly what the parser reads.
    """
    entry = result.entry
    fields: dict[str, object] = {
        "id": entry.id,
        "spent_at": entry.spent_on,
        "user_id": entry.user_id,
        "client": entry.client_name,
        "project_id": str(entry.project_id),  # strings in real /daily JSON
        "project": entry.project_name,
        "task_id": str(entry.task_id),
        "task": entry.task_name,
        "hours": entry.hours,
        "hours_without_timer": entry.hours_without_timer,
        "notes": entry.notes,
        "timer_started_at": entry.timer_started_at,  # only while running: None is left out
        "created_at": entry.created_at,
        "updated_at": entry.updated_at,
        "is_closed": entry.locked_reason == "approved",
        "is_billed": entry.locked_reason == "invoiced",
    }
    if entry.started_at is not None:
        fields["started_at"] = entry.started_at
        fields["ended_at"] = entry.ended_at or ""  # empty while running
    fields = {k: v for k, v in fields.items() if v is not None}
    previous = result.previous_timer_hours
    if data_format == "json":
        if previous is not None:
            fields["hours_for_previously_running_timer"] = previous
        return _encode(root, fields, data_format)
    wrapped: dict[str, object] = {"day_entry": fields}
    if previous is not None:
        wrapped["hours_for_previously_running_timer"] = previous
    return _encode(root, wrapped, data_format)


def _encode(root: str, fields: Mapping[str, object], data_format: DataFormat) -> bytes:
    """JSON: the fields flat, no wrapper. XML: `<root>` with typed child elements."""
    if data_format == "json":
        return json.dumps(fields, default=_json_value, ensure_ascii=False).encode("utf-8")
    element = _xml_element(root, fields)
    # WORKAROUND: ElementTree leaves "\r" raw and XML parsers normalise it to "\n"; escape it.
    text = ElementTree.tostring(element, encoding="unicode").replace("\r", "&#13;")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + text.encode("utf-8")


def _json_value(value: object) -> object:
    if isinstance(value, Decimal):
        return float(value)  # shortest repr: 1.25 stays "1.25" and is read back as Decimal("1.25")
    if isinstance(value, dt.datetime):
        return _iso_datetime(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def _xml_element(tag: str, value: object) -> ElementTree.Element:
    element = ElementTree.Element(tag)
    if isinstance(value, Mapping):
        element.extend(_xml_element(child_tag, child) for child_tag, child in value.items())
        return element
    if isinstance(value, bool):
        element.set("type", "boolean")
        element.text = "true" if value else "false"
    elif isinstance(value, int):
        element.set("type", "integer")
        element.text = str(value)
    elif isinstance(value, Decimal):
        element.set("type", "float")
        element.text = str(value)
    elif isinstance(value, dt.datetime):
        element.set("type", "datetime")
        element.text = _iso_datetime(value)
    elif isinstance(value, dt.date):
        element.set("type", "date")
        element.text = value.isoformat()
    else:
        element.text = _NOT_XML_CHAR.sub("", str(value))
    return element


def _iso_datetime(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
