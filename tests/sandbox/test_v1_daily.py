"""GET /daily, /daily/{doy}/{year} and /daily/show/{id}: shapes in both formats, of_user, slim."""

from __future__ import annotations

import datetime as dt

import defusedxml.ElementTree as SafeET
import requests

from harvest_widget.sandbox import ManualClock, Sandbox
from tests.sandbox.helpers import call


def test_daily_lists_todays_demo_entries_and_projects(sandbox: Sandbox) -> None:
    response = call(sandbox, "GET", "/daily")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    admin = sandbox.users["admin"]
    assert body["for_day"] == sandbox.world.today(admin).isoformat()
    assert len(body["day_entries"]) == 2
    entry = body["day_entries"][0]
    assert isinstance(entry["project_id"], str) and isinstance(entry["task_id"], str)
    assert isinstance(entry["id"], int) and entry["user_id"] == admin.id
    assert "timer_started_at" not in entry
    assert "started_at" not in entry  # a duration account
    assert {p["id"] for p in body["projects"]} == {2001, 2002, 2003, 2004}
    project = next(p for p in body["projects"] if p["id"] == 2003)
    assert project["client"] == "Globex" and project["client_id"] == 4002
    assert project["client_currency_symbol"] == "$"
    assert {"id": 3005, "name": "Research", "billable": False} in project["tasks"]


def test_daily_json_entry_carries_every_documented_field(manual: Sandbox) -> None:
    entry = call(manual, "GET", "/daily").json()["day_entries"][0]
    stored = next(e for e in manual.entries("admin") if e.id == entry["id"])
    assert entry["spent_at"] == "2026-03-10"
    assert entry["project_id"] == str(stored.project_id) and entry["project"] == stored.project.name
    assert entry["task_id"] == str(stored.task_id) and entry["task"] == stored.task.name
    assert entry["client"] == stored.project.client.name
    assert entry["hours"] == float(stored.hours) and entry["hours_without_timer"] == float(stored.hours)
    assert entry["notes"] == stored.notes
    assert entry["created_at"].endswith("Z") and entry["updated_at"].endswith("Z")


def test_daily_xml_has_rfc_dates_typed_fields_and_a_prolog(manual: Sandbox) -> None:
    response = call(manual, "GET", "/daily", fmt="xml")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/xml")
    assert response.text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = SafeET.fromstring(response.content)
    assert root.tag == "daily"
    for_day = root.find("for_day")
    assert for_day is not None and for_day.text == "Tue, 10 Mar 2026" and for_day.get("type") == "date"
    entries = root.findall("day_entries/day_entry")
    assert len(entries) == 2
    first = entries[0]
    assert first.findtext("spent_at") == "2026-03-10"
    assert first.find("id").get("type") == "integer"  # type: ignore[union-attr]
    assert first.find("hours").get("type") == "float"  # type: ignore[union-attr]
    assert first.find("project_id").get("type") is None  # type: ignore[union-attr]
    created = first.findtext("created_at") or ""
    assert dt.datetime.strptime(created, "%a, %d %b %Y %H:%M:%S %z")
    assert first.find("timer_started_at") is None
    projects = root.findall("projects/project")
    assert {p.findtext("id") for p in projects} == {"2001", "2002", "2003", "2004"}
    assert projects[0].find("tasks/task/billable").get("type") == "boolean"  # type: ignore[union-attr]


def test_format_follows_accept_then_content_type_and_defaults_to_xml(manual: Sandbox) -> None:
    admin = manual.users["admin"]
    auth = (admin.email, admin.password)
    by_content_type = requests.get(
        manual.url + "/daily", auth=auth, headers={"Content-Type": "application/json"}, timeout=5
    )
    bare = requests.get(manual.url + "/daily", auth=auth, timeout=5)
    charset = requests.get(
        manual.url + "/daily", auth=auth, headers={"Accept": "application/json; charset=utf-8"}, timeout=5
    )
    assert by_content_type.json()["for_day"] == "2026-03-10"
    assert bare.text.startswith("<?xml")
    assert charset.json()["for_day"] == "2026-03-10"


def test_day_of_year_path_returns_that_day(manual: Sandbox) -> None:
    day = dt.date(2026, 3, 6)  # the Friday before
    doy = day.timetuple().tm_yday
    body = call(manual, "GET", f"/daily/{doy}/2026").json()
    assert body["for_day"] == "2026-03-06"
    expected = {e.id for e in manual.entries("admin") if e.spent_at == day}
    assert {e["id"] for e in body["day_entries"]} == expected
    assert 2 <= len(expected) <= 4
    xml = SafeET.fromstring(call(manual, "GET", f"/daily/{doy}/2026", fmt="xml").content)
    assert xml.findtext("for_day") == "Fri, 06 Mar 2026"


def test_invalid_day_of_year_is_404(manual: Sandbox) -> None:
    for path in ("/daily/0/2026", "/daily/367/2024", "/daily/366/2026"):
        assert call(manual, "GET", path).status_code == 404, path
    assert call(manual, "GET", "/daily/366/2024").status_code == 200


def test_today_is_the_users_own_date(clock: ManualClock, manual: Sandbox) -> None:
    # 23:30 UTC: already Wednesday in Berlin, still Tuesday in London and Los Angeles.
    clock.set(dt.datetime(2026, 3, 10, 23, 30, tzinfo=dt.UTC))
    assert call(manual, "GET", "/daily").json()["for_day"] == "2026-03-11"
    assert call(manual, "GET", "/daily", user="member").json()["for_day"] == "2026-03-10"
    assert call(manual, "GET", "/daily", user="timestamp").json()["for_day"] == "2026-03-10"


def test_slim_leaves_projects_out(manual: Sandbox) -> None:
    assert "projects" not in call(manual, "GET", "/daily", params={"slim": "1"}).json()
    xml = SafeET.fromstring(call(manual, "GET", "/daily", fmt="xml", params={"slim": "1"}).content)
    assert xml.find("projects") is None and xml.find("day_entries") is not None


def test_member_sees_only_assigned_projects_and_own_entries(manual: Sandbox) -> None:
    body = call(manual, "GET", "/daily", user="member").json()
    assert {p["id"] for p in body["projects"]} == {2001, 2004}
    assert {e["user_id"] for e in body["day_entries"]} == {manual.users["member"].id}


def test_show_returns_one_flat_entry_or_a_timer_wrapper(manual: Sandbox) -> None:
    entry = manual.entries("admin")[-1]
    body = call(manual, "GET", f"/daily/show/{entry.id}").json()
    assert body["id"] == entry.id and body["notes"] == entry.notes
    assert "day_entry" not in body
    xml = SafeET.fromstring(call(manual, "GET", f"/daily/show/{entry.id}", fmt="xml").content)
    assert xml.tag == "timer" and xml.findtext("day_entry/id") == str(entry.id)


def test_unknown_or_foreign_entry_is_404(manual: Sandbox) -> None:
    member_entry = manual.entries("member")[0]
    assert call(manual, "GET", "/daily/show/999").status_code == 404
    assert call(manual, "GET", f"/daily/show/{member_entry.id}").status_code == 404
    assert call(manual, "GET", f"/daily/timer/{member_entry.id}").status_code == 404
    assert call(manual, "DELETE", f"/daily/delete/{member_entry.id}").status_code == 404
    assert member_entry in manual.entries("member")


def test_admin_reads_a_colleagues_timesheet_with_of_user(manual: Sandbox) -> None:
    member = manual.users["member"]
    member_entry = manual.entries("member")[-1]
    body = call(manual, "GET", "/daily", params={"of_user": member.id}).json()
    assert {e["user_id"] for e in body["day_entries"]} == {member.id}
    assert {p["id"] for p in body["projects"]} == {2001, 2004}
    shown = call(manual, "GET", f"/daily/show/{member_entry.id}", params={"of_user": member.id})
    assert shown.status_code == 200 and shown.json()["id"] == member_entry.id


def test_of_user_from_a_non_admin_is_403_with_a_text_body(manual: Sandbox) -> None:
    admin = manual.users["admin"]
    response = call(manual, "GET", "/daily", user="member", params={"of_user": admin.id})
    assert response.status_code == 403
    assert response.headers["Content-Type"].startswith("text/plain") and "administrator" in response.text
    own = call(manual, "GET", "/daily", user="member", params={"of_user": manual.users["member"].id})
    assert own.status_code == 200


def test_of_user_outside_the_company_or_unknown_is_404(manual: Sandbox) -> None:
    other_company = manual.users["timestamp"].id
    assert call(manual, "GET", "/daily", params={"of_user": other_company}).status_code == 404
    assert call(manual, "GET", "/daily", params={"of_user": 424242}).status_code == 404


def test_unknown_path_or_method_is_404(manual: Sandbox) -> None:
    assert call(manual, "GET", "/daily/nonsense").status_code == 404
    assert call(manual, "POST", "/daily/delete/1").status_code == 404
    assert call(manual, "GET", "/projects").status_code == 404
