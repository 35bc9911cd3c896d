"""v2 codec: the spec's example payloads (shared/harvest-api/v2.md) read into `core` values."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harvest_widget.api.errors import ProtocolError, ValidationError
from harvest_widget.api.v2_codec import (
    HarvestAccount,
    changes_body,
    draft_body,
    error_message,
    parse_accounts,
    parse_entry,
    parse_json,
    parse_page,
    parse_project_assignments,
    parse_whoami,
)
from harvest_widget.core.account import HoursFormat, TimerMode
from harvest_widget.core.time_zones import harvest_zone_name, iana_zone_name
from harvest_widget.core.timesheet import EntryChanges, EntryDraft

ME = {
    "id": 1782959,
    "first_name": "Kim",
    "last_name": "Allen",
    "email": "kimallen@example.com",
    "timezone": "Eastern Time (US & Canada)",
    "is_active": True,
    "weekly_capacity": 126000,
    "access_roles": ["administrator"],
    "roles": [],
}
COMPANY = {
    "base_uri": "https://{SUBDOMAIN}.harvestapp.com",
    "full_domain": "x.harvestapp.com",
    "name": "ABC Corp",
    "is_active": True,
    "week_start_day": "Sunday",
    "wants_timestamp_timers": True,
    "time_format": "hours_minutes",
    "clock": "12h",
}
RESTARTED = {
    "id": 662204379,
    "spent_date": "2017-03-21",
    "user": {"id": 1782959, "name": "Kim Allen"},
    "client": {"id": 5735776, "name": "123 Industries"},
    "project": {"id": 14808188, "name": "Task Force"},
    "task": {"id": 8083366, "name": "Programming"},
    "hours": 0,
    "hours_without_timer": 0,
    "rounded_hours": 0,
    "notes": None,
    "is_locked": False,
    "locked_reason": None,
    "timer_started_at": "2017-08-22T17:40:24Z",
    "started_time": "11:40am",
    "ended_time": None,
    "is_running": True,
    "created_at": "2017-08-22T17:37:13Z",
    "updated_at": "2017-08-22T17:40:24Z",
}
STOPPED = {
    **RESTARTED,
    "id": 662202797,
    "hours": 0.02,
    "hours_without_timer": 0.02,
    "rounded_hours": 0.25,
    "notes": "Refactor",
    "is_locked": True,
    "locked_reason": "Item Approved and Locked for this Time Period",
    "timer_started_at": None,
    "started_time": "11:37am",
    "ended_time": "11:38am",
    "is_running": False,
}
ASSIGNMENT = {
    "id": 125066109,
    "is_project_manager": True,
    "is_active": True,
    "project": {"id": 14308069, "name": "Online Store - Phase 1", "code": "OS1"},
    "client": {"id": 5735776, "name": "123 Industries"},
    "task_assignments": [
        {
            "id": 155505013,
            "billable": True,
            "is_active": True,
            "task": {"id": 8083365, "name": "Graphic Design"},
        },
        {"id": 155505014, "billable": False, "is_active": False, "task": {"id": 8083366, "name": "Old"}},
    ],
}


def test_whoami_maps_rails_zone_timestamp_mode_clock_and_format() -> None:
    who = parse_whoami(ME, COMPANY)
    assert who.user_id == 1782959
    assert who.display_name == "Kim Allen"
    assert who.is_admin
    assert who.time_zone == "America/New_York"
    assert who.timer_mode is TimerMode.TIMESTAMP
    assert who.clock == "12h"
    assert who.hours_format is HoursFormat.HOURS_MINUTES
    assert who.week_start_day == "Sunday"
    assert who.company_name == "ABC Corp"


def test_whoami_defaults_to_duration_24h_decimal_for_a_member() -> None:
    who = parse_whoami({**ME, "access_roles": ["member"]}, {"name": "X", "wants_timestamp_timers": False})
    assert not who.is_admin
    assert who.timer_mode is TimerMode.DURATION
    assert (who.clock, who.hours_format, who.week_start_day) == ("24h", HoursFormat.DECIMAL, "Monday")


@pytest.mark.parametrize(
    ("harvest", "iana"),
    [
        ("Mountain Time (US & Canada)", "America/Denver"),
        ("Berlin", "Europe/Berlin"),
        ("Kyev", "Europe/Kiev"),
        ("Europe/Vienna", "Europe/Vienna"),
        ("Atlantis Standard Time", "UTC"),
        ("Not/AZone", "UTC"),
        (None, "UTC"),
    ],
)
def test_harvest_zone_names_map_to_iana_and_unknown_falls_back_to_utc(harvest: str | None, iana: str) -> None:
    assert iana_zone_name(harvest) == iana


def test_iana_zone_maps_back_to_a_harvest_name() -> None:
    assert harvest_zone_name("America/Chicago") == "Central Time (US & Canada)"
    assert harvest_zone_name("Mars/Olympus") is None


def test_restart_example_reads_as_running_entry_with_its_new_id() -> None:
    entry = parse_entry(RESTARTED, timestamps=True)
    assert entry.id == 662204379
    assert entry.is_running
    assert entry.timer_started_at == dt.datetime(2017, 8, 22, 17, 40, 24, tzinfo=dt.UTC)
    assert entry.spent_on == dt.date(2017, 3, 21)
    assert (entry.project_id, entry.task_id, entry.user_id) == (14808188, 8083366, 1782959)
    assert (entry.client_name, entry.project_name, entry.task_name) == (
        "123 Industries",
        "Task Force",
        "Programming",
    )
    assert entry.hours == Decimal(0)
    assert entry.notes == ""
    assert (entry.started_at, entry.ended_at) == ("11:40am", None)


def test_stop_example_reads_hours_exactly_and_lock() -> None:
    entry = parse_entry(STOPPED, timestamps=False)
    assert not entry.is_running
    assert entry.hours == Decimal("0.02")
    assert entry.hours_without_timer == Decimal("0.02")
    assert entry.is_locked and entry.locked_reason == "Item Approved and Locked for this Time Period"
    assert (entry.started_at, entry.ended_at) == (None, None)  # duration account: times are noise


def test_running_timestamp_entry_without_timer_started_at_is_still_running() -> None:
    entry = parse_entry({**RESTARTED, "timer_started_at": None}, timestamps=True)
    assert entry.is_running
    assert entry.timer_started_at == dt.datetime(2017, 8, 22, 17, 40, 24, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "broken",
    [
        {**STOPPED, "id": None},
        {**STOPPED, "project": None},
        {**STOPPED, "spent_date": "21/03/2017"},
        {**STOPPED, "hours": "lots"},
        {**STOPPED, "updated_at": "yesterday"},
    ],
)
def test_entry_with_unusable_fields_is_a_protocol_error(broken: dict[str, Any]) -> None:
    with pytest.raises(ProtocolError):
        parse_entry(broken, timestamps=False)


def test_project_assignments_keep_active_tasks_and_client() -> None:
    (project,) = parse_project_assignments([ASSIGNMENT, {**ASSIGNMENT, "id": 2, "is_active": False}])
    assert (project.id, project.name, project.code) == (14308069, "Online Store - Phase 1", "OS1")
    assert (project.client_name, project.client_id) == ("123 Industries", 5735776)
    assert [(t.id, t.name, t.billable) for t in project.tasks] == [(8083365, "Graphic Design", True)]


def test_page_prefers_links_next_and_reports_the_end() -> None:
    middle = parse_page(
        {"time_entries": [STOPPED], "next_page": 2, "links": {"next": "https://api/v2/time_entries?page=2"}},
        "time_entries",
    )
    assert middle.next_url == "https://api/v2/time_entries?page=2" and middle.next_page == 2
    assert len(middle.items) == 1
    last = parse_page({"time_entries": [], "next_page": None, "links": {"next": None}}, "time_entries")
    assert (last.next_url, last.next_page) == (None, None)
    with pytest.raises(ProtocolError):
        parse_page({"entries": []}, "time_entries")


def test_accounts_keep_only_harvest_products() -> None:
    body = {
        "user": {"id": 1},
        "accounts": [
            {"id": 10254, "name": "Iridesco", "product": "harvest"},
            {"id": 88888, "name": "Forecast", "product": "forecast"},
        ],
    }
    assert parse_accounts(body) == (HarvestAccount(10254, "Iridesco", "harvest"),)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"message":"Invalid per_page parameter"}', "Invalid per_page parameter"),
        (
            '{"error":"invalid_token","error_description":"The access token is expired"}',
            "The access token is expired",
        ),
        ('{"errors":["Project can\'t be blank"]}', "Project can't be blank"),
        ("<html>oops</html>", None),
        ("[]", None),
    ],
)
def test_error_message_reads_json_message_fields(text: str, message: str | None) -> None:
    assert error_message(text) == message


def test_parse_json_rejects_garbage() -> None:
    with pytest.raises(ProtocolError):
        parse_json("<html>")


DAY = dt.date(2026, 11, 28)


def test_duration_draft_without_hours_starts_timer_by_omitting_hours() -> None:
    body = draft_body(EntryDraft(1, 2, DAY, notes="n"), TimerMode.DURATION)
    assert body == {"project_id": 1, "task_id": 2, "spent_date": "2026-11-28", "notes": "n"}


def test_duration_draft_with_hours_sends_exact_decimal_text() -> None:
    body = draft_body(EntryDraft(1, 2, DAY, hours=Decimal("1.50"), started_at="8:00am"), TimerMode.DURATION)
    assert body["hours"] == "1.5" and "started_time" not in body


def test_timestamp_draft_sends_times_and_never_hours() -> None:
    body = draft_body(EntryDraft(1, 2, DAY, started_at="8:00am", ended_at="9:00am"), TimerMode.TIMESTAMP)
    assert (body["started_time"], body["ended_time"]) == ("8:00am", "9:00am") and "hours" not in body
    with pytest.raises(ValidationError, match="start and end times"):
        draft_body(EntryDraft(1, 2, DAY, hours=Decimal(1)), TimerMode.TIMESTAMP)


def test_changes_never_send_hours_for_a_running_timer_or_a_timestamp_account() -> None:
    assert changes_body(EntryChanges(notes="x", project_id=3), TimerMode.DURATION, running=True) == {
        "notes": "x",
        "project_id": 3,
    }
    with pytest.raises(ValidationError, match="Stop the timer"):
        changes_body(EntryChanges(hours=Decimal(2)), TimerMode.DURATION, running=True)
    with pytest.raises(ValidationError):
        changes_body(EntryChanges(hours=Decimal(2)), TimerMode.TIMESTAMP, running=False)
    assert changes_body(EntryChanges(hours=Decimal("2.25")), TimerMode.DURATION, running=False) == {
        "hours": "2.25"
    }
    assert changes_body(EntryChanges(started_at="9:00am"), TimerMode.TIMESTAMP, running=False) == {
        "started_time": "9:00am"
    }


@given(st.decimals(min_value=0, max_value=48, places=2, allow_nan=False, allow_infinity=False))
def test_hours_survive_a_round_trip_through_json_numbers(hours: Decimal) -> None:
    sent = draft_body(EntryDraft(1, 2, DAY, hours=hours), TimerMode.DURATION)["hours"]
    echoed = parse_entry({**STOPPED, "hours": float(sent)}, timestamps=False)
    assert echoed.hours == hours
