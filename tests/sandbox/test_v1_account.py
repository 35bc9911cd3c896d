"""GET /account/who_am_i and /account/rate_limit_status in both formats."""

from __future__ import annotations

import defusedxml.ElementTree as SafeET

from harvest_widget.sandbox import Sandbox
from tests.sandbox.helpers import call


def test_who_am_i_json_has_underscored_company_and_user(manual: Sandbox) -> None:
    response = call(manual, "GET", "/account/who_am_i")
    assert response.status_code == 200
    body = response.json()
    company, user = body["company"], body["user"]
    assert company["base_uri"] == manual.url and company["clock"] == "24h"
    assert company["time_format"] == "decimal" and company["week_start_day"] == "Monday"
    assert company["modules"]["approval"] is True
    assert user["id"] == 1001 and user["email"] == "demo-email" and user["admin"] is True
    assert user["timezone_identifier"] == "Europe/Berlin" and user["timezone"] == "Berlin"
    assert user["timezone_utc_offset"] == 3600  # CET in March, before the switch to summer time
    assert user["timestamp_timers"] is False and user["first_name"] == "Dana"
    assert user["project_manager"]["is_project_manager"] is True


def test_who_am_i_tells_apart_the_timestamp_account(manual: Sandbox) -> None:
    body = call(manual, "GET", "/account/who_am_i", user="timestamp").json()
    assert body["user"]["timestamp_timers"] is True and body["company"]["clock"] == "12h"
    assert body["user"]["timezone_identifier"] == "America/Los_Angeles"
    assert body["user"]["timezone_utc_offset"] == -7 * 3600
    member = call(manual, "GET", "/account/who_am_i", user="member").json()["user"]
    assert member["admin"] is False and member["timezone_utc_offset"] == 0


def test_who_am_i_xml_is_a_hash_with_dashed_typed_names(manual: Sandbox) -> None:
    root = SafeET.fromstring(call(manual, "GET", "/account/who_am_i", fmt="xml").content)
    assert root.tag == "hash"
    assert root.findtext("company/base-uri") == manual.url
    assert root.findtext("company/week-start-day") == "Monday"
    assert root.findtext("user/timezone-identifier") == "Europe/Berlin"
    offset = root.find("user/timezone-utc-offset")
    assert offset is not None and offset.get("type") == "integer" and offset.text == "3600"
    timestamps = root.find("user/timestamp-timers")
    assert timestamps is not None and timestamps.get("type") == "boolean" and timestamps.text == "false"
    assert root.findtext("user/project-manager/can-see-rates") == "true"
    assert root.find("user/first_name") is None


def test_rate_limit_status_reports_the_accounts_window(manual: Sandbox) -> None:
    manual.set_throttle(40, 15)
    for _ in range(3):
        call(manual, "GET", "/daily")
    call(manual, "GET", "/daily", user="member")  # same company, same budget
    call(manual, "GET", "/daily", user="timestamp")  # another company
    body = call(manual, "GET", "/account/rate_limit_status").json()
    assert body == {
        "last_access_at": "2026-03-10T10:00:00+00:00",
        "count": 4,
        "timeframe_limit": 15,
        "max_calls": 40,
        "lockout_seconds": 15,
    }
    root = SafeET.fromstring(call(manual, "GET", "/account/rate_limit_status", fmt="xml").content)
    assert root.tag == "hash"
    assert root.findtext("max-calls") == "40" and root.find("max-calls").get("type") == "integer"  # type: ignore[union-attr]
    assert root.findtext("count") == "4" and root.findtext("timeframe-limit") == "15"
    assert root.find("last-access-at").get("type") == "datetime"  # type: ignore[union-attr]
