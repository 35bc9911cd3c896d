"""Timers: toggle, one running timer per user, running hours, timestamp-timer accounts."""

from __future__ import annotations

from decimal import Decimal

import defusedxml.ElementTree as SafeET

from harvest_widget.sandbox import ManualClock, Sandbox
from tests.sandbox.helpers import call


def _today_ids(sandbox: Sandbox, user: str = "admin") -> list[int]:
    return [e["id"] for e in call(sandbox, "GET", "/daily", user=user).json()["day_entries"]]


def test_toggle_starts_a_stopped_entry_and_hours_grow_with_the_clock(
    clock: ManualClock, manual: Sandbox
) -> None:
    entry_id = _today_ids(manual)[0]
    before = call(manual, "GET", f"/daily/show/{entry_id}").json()
    started = call(manual, "GET", f"/daily/timer/{entry_id}")
    assert started.status_code == 200
    body = started.json()
    assert body["timer_started_at"] == "2026-03-10T10:00:00Z"
    assert "hours_for_previously_running_timer" not in body
    clock.advance(36 * 60)  # 0.6 h
    running = call(manual, "GET", f"/daily/show/{entry_id}").json()
    assert running["hours"] == round(before["hours"] + 0.6, 2)
    assert running["hours_without_timer"] == before["hours"]
    listed = call(manual, "GET", "/daily").json()["day_entries"]
    assert next(e for e in listed if e["id"] == entry_id)["hours"] == running["hours"]


def test_toggle_stops_a_running_entry_and_keeps_the_elapsed_time(clock: ManualClock, manual: Sandbox) -> None:
    entry_id = _today_ids(manual)[0]
    before = manual.entries("admin")
    hours = next(e.hours for e in before if e.id == entry_id)
    call(manual, "GET", f"/daily/timer/{entry_id}")
    clock.advance(90 * 60)
    stopped = call(manual, "GET", f"/daily/timer/{entry_id}").json()
    assert "timer_started_at" not in stopped
    assert Decimal(str(stopped["hours"])) == hours + Decimal("1.50")
    clock.advance(3600)
    assert call(manual, "GET", f"/daily/show/{entry_id}").json()["hours"] == stopped["hours"]
    view = next(e for e in manual.entries("admin") if e.id == entry_id)
    assert not view.running and view.hours == hours + Decimal("1.50")


def test_starting_a_timer_stops_the_other_and_reports_its_hours(clock: ManualClock, manual: Sandbox) -> None:
    first, second = _today_ids(manual)
    call(manual, "GET", f"/daily/timer/{first}")
    clock.advance(30 * 60)
    result = call(manual, "GET", f"/daily/timer/{second}").json()
    first_now = call(manual, "GET", f"/daily/show/{first}").json()
    assert result["hours_for_previously_running_timer"] == first_now["hours"]
    assert "timer_started_at" not in first_now
    assert [e.id for e in manual.entries("admin") if e.running] == [second]


def test_xml_toggle_puts_previous_hours_beside_the_day_entry(clock: ManualClock, manual: Sandbox) -> None:
    first, second = _today_ids(manual)
    call(manual, "GET", f"/daily/timer/{first}", fmt="xml")
    clock.advance(60)
    root = SafeET.fromstring(call(manual, "GET", f"/daily/timer/{second}", fmt="xml").content)
    assert root.tag == "timer"
    assert root.findtext("day_entry/id") == str(second)
    started = root.find("day_entry/timer_started_at")
    assert started is not None and started.get("type") == "datetime"
    assert (started.text or "").strip() == "Tue, 10 Mar 2026 10:01:00 +0000"
    previous = root.find("hours_for_previously_running_timer")
    assert previous is not None and previous.get("type") == "float"


def test_add_with_blank_hours_starts_a_timer_and_stops_the_running_one(
    clock: ManualClock, manual: Sandbox
) -> None:
    first = _today_ids(manual)[0]
    call(manual, "GET", f"/daily/timer/{first}")
    clock.advance(15 * 60)
    added = call(
        manual,
        "POST",
        "/daily/add",
        body={"project_id": 2001, "task_id": 3002, "notes": "Timer", "hours": " "},
    )
    assert added.status_code == 201
    body = added.json()
    assert body["hours"] == 0 and body["timer_started_at"] == "2026-03-10T10:15:00Z"
    assert "hours_for_previously_running_timer" in body
    assert [e.id for e in manual.entries("admin") if e.running] == [body["id"]]


def test_add_without_hours_key_also_starts_a_timer(manual: Sandbox) -> None:
    body = call(manual, "POST", "/daily/add", body={"project_id": 2004, "task_id": 3006}).json()
    assert "timer_started_at" in body and "hours_for_previously_running_timer" not in body


def test_xml_add_with_blank_hours_answers_an_add_root(manual: Sandbox) -> None:
    xml = (
        "<request><notes>XML timer</notes><hours> </hours>"
        '<project_id type="integer">2002</project_id><task_id type="integer">3001</task_id></request>'
    )
    response = call(manual, "POST", "/daily/add", fmt="xml", body=xml)
    assert response.status_code == 201
    root = SafeET.fromstring(response.content)
    assert root.tag == "add" and root.findtext("day_entry/notes") == "XML timer"
    assert root.find("day_entry/timer_started_at") is not None


def test_updating_hours_of_a_running_entry_sets_the_total_and_keeps_it_running(
    clock: ManualClock, manual: Sandbox
) -> None:
    entry_id = _today_ids(manual)[0]
    call(manual, "GET", f"/daily/timer/{entry_id}")
    clock.advance(600)
    updated = call(manual, "POST", f"/daily/update/{entry_id}", body={"hours": "2"}).json()
    assert updated["hours"] == 2.0 and updated["timer_started_at"] == "2026-03-10T10:10:00Z"
    clock.advance(360)
    assert call(manual, "GET", f"/daily/show/{entry_id}").json()["hours"] == 2.1


def test_timestamp_account_entries_carry_start_and_end_times(manual: Sandbox) -> None:
    body = call(manual, "GET", "/daily", user="timestamp").json()
    for entry in body["day_entries"]:
        assert entry["started_at"].endswith(("am", "pm")) and entry["ended_at"].endswith(("am", "pm"))
    xml = SafeET.fromstring(call(manual, "GET", "/daily", user="timestamp", fmt="xml").content)
    assert (xml.findtext("day_entries/day_entry/started_at") or "").endswith(("am", "pm"))


def test_timestamp_add_with_times_computes_hours(manual: Sandbox) -> None:
    body = call(
        manual,
        "POST",
        "/daily/add",
        user="timestamp",
        body={"project_id": 2011, "task_id": 3011, "started_at": "8:00am", "ended_at": "9:30am"},
    ).json()
    assert body["hours"] == 1.5 and body["started_at"] == "8:00am" and body["ended_at"] == "9:30am"
    assert "timer_started_at" not in body


def test_timestamp_toggle_on_a_stopped_entry_creates_a_new_running_entry(
    clock: ManualClock, manual: Sandbox
) -> None:
    old_id = _today_ids(manual, "timestamp")[0]
    old = call(manual, "GET", f"/daily/show/{old_id}", user="timestamp").json()
    started = call(manual, "GET", f"/daily/timer/{old_id}", user="timestamp").json()
    assert started["id"] != old_id
    assert (started["project_id"], started["task_id"], started["notes"]) == (
        old["project_id"],
        old["task_id"],
        old["notes"],
    )
    assert started["started_at"] == "3:00am" and started["ended_at"] == ""  # 10:00 UTC in Los Angeles
    assert call(manual, "GET", f"/daily/show/{old_id}", user="timestamp").json() == old
    clock.advance(45 * 60)
    stopped = call(manual, "GET", f"/daily/timer/{started['id']}", user="timestamp").json()
    assert stopped["id"] == started["id"] and stopped["ended_at"] == "3:45am" and stopped["hours"] == 0.75


def test_timestamp_add_with_blank_times_starts_a_timer(manual: Sandbox) -> None:
    xml = (
        "<request><started_at> </started_at><ended_at> </ended_at>"
        "<project_id>2012</project_id><task_id>3013</task_id>"
        "<spent_at>Tue, 10 Mar 2026</spent_at></request>"
    )
    root = SafeET.fromstring(
        call(manual, "POST", "/daily/add", user="timestamp", fmt="xml", body=xml).content
    )
    assert root.find("day_entry/timer_started_at") is not None
    assert root.findtext("day_entry/started_at") == "3:00am"


def test_running_time_is_kept_exactly_not_rounded_per_stop(clock: ManualClock, manual: Sandbox) -> None:
    entry_id = call(
        manual, "POST", "/daily/add", body={"project_id": 2001, "task_id": 3001, "hours": 0}
    ).json()["id"]
    for _ in range(36):  # 36 runs of 10 s: each alone rounds to 0.00 h, together they are 0.10 h
        call(manual, "GET", f"/daily/timer/{entry_id}")
        clock.advance(10)
        call(manual, "GET", f"/daily/timer/{entry_id}")
    view = next(e for e in manual.entries("admin") if e.id == entry_id)
    assert view.seconds == 360 and view.hours == Decimal("0.10")


def test_timestamp_update_with_times_recomputes_hours(manual: Sandbox) -> None:
    entry_id = _today_ids(manual, "timestamp")[0]
    xml = "<request><started_at>1:15pm</started_at><ended_at>3:45pm</ended_at></request>"
    root = SafeET.fromstring(
        call(manual, "POST", f"/daily/update/{entry_id}", user="timestamp", fmt="xml", body=xml).content
    )
    assert (
        root.findtext("day_entry/started_at") == "1:15pm" and root.findtext("day_entry/ended_at") == "3:45pm"
    )
    assert root.findtext("day_entry/hours") == "2.50"


def test_admin_toggles_a_colleagues_timer_with_of_user(manual: Sandbox) -> None:
    member = manual.users["member"]
    entry_id = _today_ids(manual, "member")[0]
    started = call(manual, "GET", f"/daily/timer/{entry_id}", params={"of_user": member.id})
    assert started.status_code == 200 and "timer_started_at" in started.json()
    assert [e.id for e in manual.entries("member") if e.running] == [entry_id]
    assert not any(e.running for e in manual.entries("admin"))
