"""Table tests for the v1 codec: one per quirk in shared/harvest-api/v1-time-tracking.md, payloads
written from the spec's examples, plus Hypothesis round trips for entries in both formats."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from defusedxml import ElementTree as SafeElementTree
from hypothesis import given
from hypothesis import strategies as st

from harvest_widget.api.errors import ProtocolError
from harvest_widget.api.v1_codec import (
    DataFormat,
    encode_changes,
    encode_draft,
    encode_timer,
    parse_day,
    parse_entry,
    parse_rate_limit_status,
    parse_timer,
    parse_whoami,
)
from harvest_widget.core.account import HoursFormat, TimerMode
from harvest_widget.core.timesheet import Entry, EntryChanges, EntryDraft, TimerResult

UTC = dt.UTC

# Shaped like blekinge/python-harvest tests/day.json (real 2016 JSON), trimmed.
DAY_JSON = b"""{"for_day": "2016-06-28",
 "day_entries": [{"id": 486720452, "spent_at": "2016-06-28", "user_id": 1352522, "client": "testClient",
   "project_id": "9817858", "project": "testProject", "task_id": "5402830", "task": "Graphic Design",
   "hours": 0.37, "hours_without_timer": 0.37, "notes": null,
   "created_at": "2016-07-07T08:18:33Z", "updated_at": "2016-07-07T08:18:33Z"}],
 "projects": [{"id": 11107992, "name": "testProject", "code": "", "billable": true,
   "client": "testClient", "client_id": 4608159, "client_currency": "United States Dollar - USD",
   "client_currency_symbol": "$",
   "tasks": [{"id": 6171738, "name": "Graphic Design", "billable": true},
             {"id": 6171739, "name": "Meetings", "billable": false}]}]}"""

# The docs' XML shape: prolog, type attributes, RFC-822 dates, whitespace inside an element.
DAY_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<daily>
  <for_day type="date">Wed, 18 Oct 2006</for_day>
  <day_entries>
    <day_entry>
      <id type="integer">195168</id>
      <client>Iridesco</client>
      <project>Harvest</project>
      <project_id>3</project_id>
      <task>Backend Programming</task>
      <task_id>14</task_id>
      <hours type="float">2.06</hours>
      <notes>Test api support</notes>
      <timer_started_at type="datetime">
        Wed, 18 Oct 2006 09:53:06 -0000
      </timer_started_at>
      <created_at type="datetime">Wed, 18 Oct 2006 09:53:06 -0000</created_at>
      <updated_at type="datetime">Wed, 18 Oct 2006 09:53:06 -0000</updated_at>
      <spent_at type="date">Wed, 18 Oct 2006</spent_at>
      <user_id type="integer">1</user_id>
    </day_entry>
  </day_entries>
  <projects>
    <project>
      <name>Click and Type</name>
      <code></code>
      <id type="integer">3</id>
      <billable type="boolean">true</billable>
      <client>AFS</client>
      <tasks>
        <task><name>Security support</name><id type="integer">14</id><billable type="boolean">true</billable></task>
      </tasks>
    </project>
  </projects>
</daily>"""


def _entry_json(**overrides: object) -> bytes:
    fields: dict[str, object] = {
        "id": 42,
        "spent_at": "2016-06-28",
        "user_id": 7,
        "client": "C",
        "project_id": "3",
        "project": "P",
        "task_id": "14",
        "task": "T",
        "hours": 1.5,
        "notes": "n",
        "created_at": "2016-07-07T08:18:33Z",
        "updated_at": "2016-07-07T08:18:33Z",
    }
    fields.update(overrides)
    return json.dumps({k: v for k, v in fields.items() if v is not ...}).encode()


# ---- /daily ---------------------------------------------------------------------------------------


def test_json_day_has_flat_entries_string_ids_and_projects_with_tasks() -> None:
    day = parse_day(DAY_JSON, "json")
    assert day.date == dt.date(2016, 6, 28)
    (entry,) = day.entries
    assert (entry.id, entry.project_id, entry.task_id, entry.user_id) == (
        486720452,
        9817858,
        5402830,
        1352522,
    )
    assert entry.hours == Decimal("0.37")  # exact, never through float arithmetic
    assert entry.notes == ""  # JSON null notes
    assert not entry.is_running
    assert entry.created_at == dt.datetime(2016, 7, 7, 8, 18, 33, tzinfo=UTC)
    (project,) = day.projects
    assert (project.id, project.client_name, project.client_id) == (11107992, "testClient", 4608159)
    assert [(t.id, t.billable) for t in project.tasks] == [(6171738, True), (6171739, False)]


def test_json_day_without_projects_is_slim() -> None:
    body = json.dumps({"for_day": "2016-06-28", "day_entries": []}).encode()
    day = parse_day(body, "json")
    assert day.entries == () and day.projects == ()


def test_xml_day_reads_rfc_dates_type_attributes_and_whitespace_inside_elements() -> None:
    day = parse_day(DAY_XML, "xml")
    assert day.date == dt.date(2006, 10, 18)
    (entry,) = day.entries
    assert (entry.id, entry.project_id, entry.task_id, entry.hours) == (195168, 3, 14, Decimal("2.06"))
    assert entry.spent_on == dt.date(2006, 10, 18)
    assert entry.timer_started_at == dt.datetime(2006, 10, 18, 9, 53, 6, tzinfo=UTC)
    assert entry.notes == "Test api support"
    (project,) = day.projects
    assert (project.name, project.code, project.billable) == ("Click and Type", "", True)
    assert project.task(14) is not None


def test_xml_day_without_projects_element_and_with_empty_entries() -> None:
    body = b"<daily><for_day type='date'>2016-06-28</for_day><day_entries type='array'/></daily>"
    day = parse_day(body, "xml")
    assert (day.date, day.entries, day.projects) == (dt.date(2016, 6, 28), (), ())


def test_entries_without_spent_at_take_the_day_of_the_reply() -> None:
    body = _entry_json(spent_at=...)
    wrapped = json.dumps({"for_day": "2020-02-29", "day_entries": [json.loads(body)]}).encode()
    assert parse_day(wrapped, "json").entries[0].spent_on == dt.date(2020, 2, 29)


# ---- single entries: show, toggle, add ----------------------------------------------------------------


@pytest.mark.parametrize("ids", [("3", "14"), (3, 14)])
def test_project_and_task_ids_may_be_strings_or_numbers(ids: tuple[object, object]) -> None:
    entry = parse_entry(_entry_json(project_id=ids[0], task_id=ids[1]), "json")
    assert (entry.project_id, entry.task_id) == (3, 14)


@pytest.mark.parametrize("started", [..., None, "", "  "])
def test_timer_started_at_absent_null_or_empty_means_stopped(started: object) -> None:
    assert not parse_entry(_entry_json(timer_started_at=started), "json").is_running


def test_timer_started_at_present_means_running_in_utc() -> None:
    entry = parse_entry(_entry_json(timer_started_at="2016-07-07T08:18:33Z"), "json")
    assert entry.timer_started_at == dt.datetime(2016, 7, 7, 8, 18, 33, tzinfo=UTC)


def test_unknown_fields_are_ignored() -> None:
    body = _entry_json(client_currency="EUR", hours_with_timer=2.0, something={"nested": [1, 2]})
    assert parse_entry(body, "json").id == 42


def test_json_show_reply_is_a_flat_entry() -> None:
    entry = parse_entry(_entry_json(), "json")
    assert (entry.id, entry.spent_on, entry.notes, entry.hours) == (
        42,
        dt.date(2016, 6, 28),
        "n",
        Decimal("1.5"),
    )


def test_xml_show_reply_is_wrapped_in_timer_and_day_entry() -> None:
    body = b"""<timer><day_entry><id type="integer">7</id><spent_at type="date">2016-06-28</spent_at>
      <project_id>3</project_id><task_id>14</task_id><hours type="float">0.00</hours>
      <notes nil="true"/></day_entry></timer>"""
    entry = parse_entry(body, "xml")
    assert (entry.id, entry.hours, entry.notes) == (7, Decimal("0.00"), "")


def test_json_toggle_reports_previously_running_hours_at_top_level() -> None:
    result = parse_timer(
        _entry_json(timer_started_at="2016-07-07T09:00:00Z", hours_for_previously_running_timer=0.87), "json"
    )
    assert result.entry.is_running and result.previous_timer_hours == Decimal("0.87")


def test_xml_toggle_reports_previously_running_hours_beside_day_entry() -> None:
    body = b"""<timer><day_entry><id type="integer">7</id><spent_at type="date">2016-06-28</spent_at>
      <project_id>3</project_id><task_id>14</task_id><hours type="float">0.0</hours>
      <timer_started_at type="datetime">2016-07-07T09:00:00Z</timer_started_at></day_entry>
      <hours_for_previously_running_timer type="float">0.87</hours_for_previously_running_timer></timer>"""
    result = parse_timer(body, "xml")
    assert result.entry.is_running and result.previous_timer_hours == Decimal("0.87")


def test_toggle_without_previous_timer_has_no_previous_hours() -> None:
    assert parse_timer(_entry_json(), "json").previous_timer_hours is None


def test_xml_add_reply_has_an_add_root() -> None:
    body = b"""<?xml version="1.0" encoding="UTF-8"?><add><day_entry><id type="integer">9</id>
      <spent_at type="date">Tue, 17 Oct 2006</spent_at><project_id>3</project_id><task_id>14</task_id>
      <hours type="float">3</hours><notes>Test api support</notes></day_entry></add>"""
    assert parse_timer(body, "xml").entry.spent_on == dt.date(2006, 10, 17)


def test_old_doc_add_reply_with_timer_root_and_no_spent_at_uses_the_requested_day() -> None:
    body = b"""<timer><day_entry><id type="integer">9</id><project_id>3</project_id><task_id>14</task_id>
      <hours type="float">3</hours></day_entry></timer>"""
    result = parse_timer(body, "xml", fallback_day=dt.date(2006, 10, 17))
    assert result.entry.spent_on == dt.date(2006, 10, 17)


def test_2010_json_add_reply_wrapped_in_add_and_day_entry() -> None:
    body = json.dumps({"add": {"day_entry": json.loads(_entry_json())}}).encode()
    assert parse_timer(body, "json").entry.id == 42


def test_help_page_date_style_is_read() -> None:
    assert parse_entry(_entry_json(spent_at="Sun, Jan 24 2015"), "json").spent_on == dt.date(2015, 1, 24)


def test_timestamp_timer_entry_keeps_times_of_day_and_empty_end_means_running() -> None:
    entry = parse_entry(
        _entry_json(started_at="8:00am", ended_at="", timer_started_at="2016-07-07T08:00:00Z"), "json"
    )
    assert (entry.started_at, entry.ended_at, entry.is_running) == ("8:00am", None, True)
    finished = parse_entry(_entry_json(started_at="8:00am", ended_at="9:00am"), "json")
    assert (finished.started_at, finished.ended_at) == ("8:00am", "9:00am")


@pytest.mark.parametrize(
    ("flags", "reason"), [({"is_closed": True}, "approved"), ({"is_billed": True}, "invoiced")]
)
def test_closed_or_billed_entries_are_locked(flags: dict[str, object], reason: str) -> None:
    entry = parse_entry(_entry_json(**flags), "json")
    assert entry.is_locked and entry.locked_reason == reason


# ---- account ---------------------------------------------------------------------------------------

WHO_AM_I_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<hash>
  <company>
    <base-uri>https://api.harvestapp.com</base-uri><full-domain>api.harvestapp.com</full-domain>
    <name>API Examples</name><active type="boolean">true</active><week-start-day>Sunday</week-start-day>
    <time-format>hours_minutes</time-format><clock>12h</clock><decimal-symbol>.</decimal-symbol>
    <modules><expenses type="boolean">true</expenses></modules>
  </company>
  <user>
    <timezone>Eastern Time (US &amp; Canada)</timezone><timezone-identifier>America/New_York</timezone-identifier>
    <timezone-utc-offset type="integer">-14400</timezone-utc-offset><email>user@example.com</email>
    <admin type="boolean">true</admin><id type="integer">508343</id><first-name>Harvest</first-name>
    <last-name>User</last-name><timestamp-timers type="boolean">true</timestamp-timers>
    <project-manager><is-project-manager type="boolean">true</is-project-manager></project-manager>
  </user>
</hash>"""


def test_xml_who_am_i_reads_dashed_names() -> None:
    who = parse_whoami(WHO_AM_I_XML, "xml")
    assert (who.user_id, who.email, who.first_name, who.last_name, who.is_admin) == (
        508343,
        "user@example.com",
        "Harvest",
        "User",
        True,
    )
    assert who.time_zone == "America/New_York"
    assert who.timer_mode is TimerMode.TIMESTAMP
    assert (who.clock, who.hours_format, who.week_start_day) == ("12h", HoursFormat.HOURS_MINUTES, "Sunday")
    assert (who.company_name, who.base_uri) == ("API Examples", "https://api.harvestapp.com")


def test_json_who_am_i_reads_underscored_and_mixed_dashed_names() -> None:
    # The 2013 OAuth doc's example mixed `company.base-uri` with `user.timestamp_timers`.
    body = json.dumps(
        {
            "company": {"base-uri": "https://x.harvestapp.com", "name": "X", "clock": "24h", "time_format": "decimal"},
            "user": {"id": 5, "email": "e@x", "first_name": "A", "timestamp_timers": False, "admin": False,
                     "timezone_identifier": "Europe/Berlin"},
        }
    ).encode()  # fmt: skip
    who = parse_whoami(body, "json")
    assert (who.user_id, who.base_uri, who.time_zone) == (5, "https://x.harvestapp.com", "Europe/Berlin")
    assert who.timer_mode is TimerMode.DURATION and who.hours_format is HoursFormat.DECIMAL


@pytest.mark.parametrize(
    ("user", "zone"),
    [
        ({"timezone_identifier": "Asia/Tokyo", "timezone": "Eastern Time (US & Canada)"}, "Asia/Tokyo"),
        ({"timezone": "Eastern Time (US & Canada)", "timezone_utc_offset": -14400}, "America/New_York"),
        ({"timezone": "Atlantis", "timezone_utc_offset": 7200}, "Etc/GMT-2"),
        ({"timezone_utc_offset": 19800}, "UTC"),  # half-hour offsets have no fixed Etc zone
        ({}, "UTC"),
    ],
)
def test_time_zone_prefers_iana_identifier_then_rails_name_then_utc_offset(
    user: dict[str, object], zone: str
) -> None:
    body = json.dumps({"user": {"id": 1, "email": "e", **user}}).encode()
    assert parse_whoami(body, "json").time_zone == zone


def test_xml_rate_limit_status_reads_dashed_names() -> None:
    body = b"""<hash><last-access-at type="datetime">2010-04-02T01:34:59+00:00</last-access-at>
      <count type="integer">2</count><timeframe-limit type="integer">15</timeframe-limit>
      <max-calls type="integer">40</max-calls><lockout-seconds type="integer">5</lockout-seconds></hash>"""
    status = parse_rate_limit_status(body, "xml")
    assert (status.count, status.max_calls, status.timeframe_seconds, status.lockout_seconds) == (
        2,
        40,
        15,
        5,
    )


def test_json_rate_limit_status() -> None:
    body = b'{"last_access_at": "2011-06-18T17:13:22+00:00", "count": 1, "timeframe_limit": 15, "max_calls": 100, "lockout_seconds": 2}'
    status = parse_rate_limit_status(body, "json")
    assert (status.count, status.max_calls, status.timeframe_seconds, status.lockout_seconds) == (
        1,
        100,
        15,
        2,
    )


# ---- unreadable replies ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "data_format"),
    [
        (b"<html><body><h1>502 Bad Gateway</h1></body></html>", "json"),
        (b"<html><body><h1>502 Bad Gateway</h1></body></html>", "xml"),
        (b'{"for_day": "2016-06-28", "day_entries": [', "json"),
        (b"<daily><for_day>2016-06-28</for_day><day_entries>", "xml"),
        (b'{"for_day": "yesterday", "day_entries": []}', "json"),
        (b'{"for_day": "2016-06-28", "day_entries": [{"id": "x"}]}', "json"),
        (b"[]", "json"),
        (b"\x89\x00\xff\xfe garbage", "json"),
        (b"\x89\x00\xff\xfe garbage", "xml"),
    ],
)
def test_unreadable_day_raises_protocol_error_keeping_the_raw_body(
    body: bytes, data_format: DataFormat
) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_day(body, data_format)
    assert caught.value.raw == body.decode("utf-8", errors="replace")
    assert caught.value.message.endswith(".")


def test_xml_entity_expansion_is_refused_not_expanded() -> None:
    body = b"""<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>
      <daily><for_day>&lol2;</for_day></daily>"""
    with pytest.raises(ProtocolError):
        parse_day(body, "xml")


# ---- request bodies ----------------------------------------------------------------------------------

DRAFT = EntryDraft(
    project_id=3, task_id=14, spent_on=dt.date(2006, 10, 17), notes="Test api support", hours=Decimal("3")
)


def test_json_add_body_is_flat_without_request_wrapper() -> None:
    body = json.loads(encode_draft(DRAFT, "json"))
    assert body == {
        "notes": "Test api support",
        "hours": 3.0,
        "project_id": 3,
        "task_id": 14,
        "spent_at": "2006-10-17",
    }


def test_xml_add_body_has_request_wrapper_and_type_attributes() -> None:
    root = SafeElementTree.fromstring(encode_draft(DRAFT, "xml"))
    assert root.tag == "request"
    assert root.find("project_id").get("type") == "integer" and root.findtext("project_id") == "3"
    assert root.find("spent_at").get("type") == "date" and root.findtext("spent_at") == "2006-10-17"
    assert root.findtext("hours") == "3" and root.findtext("notes") == "Test api support"


@pytest.mark.parametrize("data_format", ["json", "xml"])
def test_draft_without_hours_sends_blank_hours_to_start_a_timer(data_format: DataFormat) -> None:
    draft = EntryDraft(project_id=3, task_id=14, spent_on=dt.date(2006, 10, 17))
    assert draft.starts_timer
    body = encode_draft(draft, data_format)
    hours = (
        json.loads(body)["hours"]
        if data_format == "json"
        else SafeElementTree.fromstring(body).findtext("hours")
    )
    assert isinstance(hours, str) and not hours.strip()


def test_timestamp_draft_sends_start_and_end_times_instead_of_hours() -> None:
    draft = EntryDraft(
        project_id=3, task_id=14, spent_on=dt.date(2006, 10, 17), started_at="8:00am", ended_at="9:00am"
    )
    body = json.loads(encode_draft(draft, "json"))
    assert (body["started_at"], body["ended_at"]) == ("8:00am", "9:00am") and "hours" not in body


@pytest.mark.parametrize("data_format", ["json", "xml"])
def test_update_body_carries_only_the_changed_fields(data_format: DataFormat) -> None:
    body = encode_changes(EntryChanges(notes="new", hours=Decimal("1.25")), data_format)
    if data_format == "json":
        assert json.loads(body) == {"notes": "new", "hours": 1.25}
    else:
        root = SafeElementTree.fromstring(body)
        assert root.tag == "request" and [c.tag for c in root] == ["notes", "hours"]


def test_xml_body_drops_characters_xml_cannot_carry() -> None:
    draft = EntryDraft(project_id=3, task_id=14, spent_on=dt.date(2006, 10, 17), notes="a\x00b\x1bc\r\nd")
    assert SafeElementTree.fromstring(encode_draft(draft, "xml")).findtext("notes") == "abc\r\nd"


# ---- round trips -------------------------------------------------------------------------------------

_xml_text = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=40).map(
    lambda s: "".join(c for c in s if c in "\t\n\r" or c >= " ")
)
_names = _xml_text.map(str.strip)
_hours = st.decimals(min_value=0, max_value=999, places=2)
_moments = st.datetimes(
    min_value=dt.datetime(1970, 1, 2), max_value=dt.datetime(2100, 1, 1), timezones=st.just(UTC)
)
_ids = st.integers(min_value=1, max_value=2**53)
_times_of_day = st.sampled_from(["8:00am", "12:30pm", "09:15", "23:59"])
_locks = st.sampled_from([(False, None), (True, "approved"), (True, "invoiced")])


@st.composite
def entries(draw: st.DrawFn) -> Entry:
    started_at = draw(st.none() | _times_of_day)
    locked, reason = draw(_locks)
    return Entry(
        id=draw(_ids),
        spent_on=draw(st.dates(min_value=dt.date(1970, 1, 1), max_value=dt.date(2100, 12, 31))),
        project_id=draw(_ids),
        task_id=draw(_ids),
        hours=draw(_hours),
        notes=draw(_xml_text),
        user_id=draw(st.none() | _ids),
        client_name=draw(_names),
        project_name=draw(_names),
        task_name=draw(_names),
        hours_without_timer=draw(st.none() | _hours),
        timer_started_at=draw(st.none() | _moments),
        started_at=started_at,
        ended_at=None if started_at is None else draw(st.none() | _times_of_day),
        is_locked=locked,
        locked_reason=reason,
        created_at=draw(st.none() | _moments),
        updated_at=draw(st.none() | _moments),
    )


@given(entry=entries(), previous=st.none() | _hours, data_format=st.sampled_from(["json", "xml"]))
def test_any_entry_survives_a_round_trip(
    entry: Entry, previous: Decimal | None, data_format: DataFormat
) -> None:
    result = TimerResult(entry, previous)
    assert parse_timer(encode_timer(result, data_format), data_format) == result


@given(entry=entries())
def test_any_entry_survives_an_xml_add_reply_round_trip(entry: Entry) -> None:
    assert parse_timer(encode_timer(TimerResult(entry), "xml", root="add"), "xml").entry == entry
