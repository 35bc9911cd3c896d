"""POST /daily/add, POST|PUT /daily/update, DELETE /daily/delete: bodies, validation, locked time."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import defusedxml.ElementTree as SafeET
import pytest

from harvest_widget.sandbox import Sandbox
from tests.sandbox.helpers import call

LOCKED_DAY = dt.date(2026, 3, 3)  # Tuesday of the week before START: locked for Demo Studio


def _entry_on(sandbox: Sandbox, user: str, day: dt.date) -> int:
    return next(e.id for e in sandbox.entries(user) if e.spent_at == day)


def test_add_with_hours_creates_a_stopped_entry_201(manual: Sandbox) -> None:
    response = call(
        manual,
        "POST",
        "/daily/add",
        body={
            "project_id": 2003,
            "task_id": 3005,
            "hours": 1.25,
            "notes": "Reading",
            "spent_at": "2026-03-09",
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert body["hours"] == 1.25 and body["spent_at"] == "2026-03-09" and "timer_started_at" not in body
    assert body["project_id"] == "2003" and body["task"] == "Research" and body["client"] == "Globex"
    view = next(e for e in manual.entries("admin") if e.id == body["id"])
    assert (view.spent_at, view.hours, view.notes, view.running) == (
        dt.date(2026, 3, 9),
        Decimal("1.25"),
        "Reading",
        False,
    )


def test_add_ignores_extra_keys_and_defaults_to_today(manual: Sandbox) -> None:
    body = call(
        manual,
        "POST",
        "/daily/add",
        body={"project_id": "2001", "task_id": "3001", "hours": "0.5", "id": 1, "client": "x", "user_id": 7},
    ).json()
    assert body["spent_at"] == "2026-03-10" and body["user_id"] == manual.users["admin"].id
    assert body["notes"] is None


def test_xml_add_accepts_rfc_dates_and_types(manual: Sandbox) -> None:
    xml = (
        "<request><notes>Test api support</notes><hours>3</hours>"
        '<project_id type="integer">2001</project_id><task_id type="integer">3003</task_id>'
        '<spent_at type="date">Mon, 09 Mar 2026</spent_at></request>'
    )
    response = call(manual, "POST", "/daily/add", fmt="xml", body=xml)
    assert response.status_code == 201
    root = SafeET.fromstring(response.content)
    assert root.tag == "add"
    assert root.findtext("day_entry/spent_at") == "2026-03-09"
    assert root.findtext("day_entry/hours") == "3.00"


@pytest.mark.parametrize("spent_at", ["2026-03-09", "Mon, 09 Mar 2026", "Mon, Mar 09 2026"])
def test_request_dates_may_be_iso_or_rfc_style(manual: Sandbox, spent_at: str) -> None:
    body = call(
        manual,
        "POST",
        "/daily/add",
        body={"project_id": 2001, "task_id": 3001, "hours": 1, "spent_at": spent_at},
    ).json()
    assert body["spent_at"] == "2026-03-09"


def test_json_request_wrapper_is_refused_as_harvest_did(manual: Sandbox) -> None:
    response = call(manual, "POST", "/daily/add", body={"request": {"project_id": 2001, "task_id": 3001}})
    assert response.status_code == 400 and "wrapper" in response.text


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"project_id": 2999, "task_id": 3001, "hours": 1}, "Project 2999"),
        ({"project_id": 2001, "task_id": 3005, "hours": 1}, "Task 3005"),
        ({"task_id": 3001, "hours": 1}, "required"),
        ({"project_id": 2001, "task_id": 3001, "hours": "lots"}, "hours"),
        ({"project_id": 2001, "task_id": 3001, "hours": -1}, "between"),
        ({"project_id": 2001, "task_id": 3001, "hours": 1, "spent_at": "yesterday"}, "date"),
    ],
)
def test_invalid_add_is_400_with_a_text_body(manual: Sandbox, fields: dict[str, object], words: str) -> None:
    before = len(manual.entries("admin"))
    response = call(manual, "POST", "/daily/add", body=fields)
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("text/plain") and words in response.text
    assert len(manual.entries("admin")) == before


def test_member_cannot_add_to_a_project_they_are_not_assigned(manual: Sandbox) -> None:
    response = call(manual, "POST", "/daily/add", user="member", body={"project_id": 2002, "task_id": 3001})
    assert response.status_code == 400


def test_broken_bodies_are_400(manual: Sandbox) -> None:
    assert call(manual, "POST", "/daily/add", body="{not json").status_code == 400
    assert call(manual, "POST", "/daily/add", fmt="xml", body="<request><notes>").status_code == 400
    assert call(manual, "POST", "/daily/add", fmt="xml", body="<add><notes/></add>").status_code == 400


def test_update_overwrites_sent_fields_and_keeps_the_rest_post_and_put(manual: Sandbox) -> None:
    entry_id = call(
        manual, "POST", "/daily/add", body={"project_id": 2001, "task_id": 3001, "hours": 1, "notes": "a"}
    ).json()["id"]
    posted = call(manual, "POST", f"/daily/update/{entry_id}", body={"notes": "b"})
    assert posted.status_code == 200
    assert posted.json()["notes"] == "b" and posted.json()["hours"] == 1.0
    put = call(manual, "PUT", f"/daily/update/{entry_id}", body={"hours": "1:30", "task_id": 3004})
    assert put.status_code == 200
    assert put.json()["hours"] == 1.5 and put.json()["task"] == "Project Management"
    view = next(e for e in manual.entries("admin") if e.id == entry_id)
    assert (view.notes, view.hours, view.task_id) == ("b", Decimal("1.50"), 3004)


def test_xml_update_answers_the_entry(manual: Sandbox) -> None:
    entry_id = _entry_on(manual, "admin", dt.date(2026, 3, 10))
    xml = "<request><notes>New notes</notes><hours>1.07</hours></request>"
    response = call(manual, "POST", f"/daily/update/{entry_id}", fmt="xml", body=xml)
    assert response.status_code == 200
    root = SafeET.fromstring(response.content)
    assert root.findtext("day_entry/notes") == "New notes" and root.findtext("day_entry/hours") == "1.07"


def test_update_to_an_invalid_task_is_400_and_changes_nothing(manual: Sandbox) -> None:
    entry_id = _entry_on(manual, "admin", dt.date(2026, 3, 10))
    before = next(e for e in manual.entries("admin") if e.id == entry_id)
    assert call(manual, "POST", f"/daily/update/{entry_id}", body={"task_id": 3011}).status_code == 400
    assert next(e for e in manual.entries("admin") if e.id == entry_id) == before


def test_delete_removes_the_entry_with_200(manual: Sandbox) -> None:
    entry_id = _entry_on(manual, "admin", dt.date(2026, 3, 10))
    response = call(manual, "DELETE", f"/daily/delete/{entry_id}")
    assert response.status_code == 200 and response.content == b""
    assert entry_id not in {e.id for e in manual.entries("admin")}
    assert call(manual, "GET", f"/daily/show/{entry_id}").status_code == 404
    assert call(manual, "DELETE", f"/daily/delete/{entry_id}").status_code == 404


def test_deleting_a_running_entry_leaves_no_timer(manual: Sandbox) -> None:
    entry_id = _entry_on(manual, "admin", dt.date(2026, 3, 10))
    call(manual, "GET", f"/daily/timer/{entry_id}")
    assert call(manual, "DELETE", f"/daily/delete/{entry_id}").status_code == 200
    assert not any(e.running for e in manual.entries("admin"))


def test_last_week_is_locked_and_shown_as_closed(manual: Sandbox) -> None:
    locked = [e for e in manual.entries("member") if e.is_locked]
    assert {e.spent_at for e in locked} <= {dt.date(2026, 3, d) for d in range(2, 9)}
    assert locked and all(e.spent_at.isocalendar().week == 10 for e in locked)
    doy = LOCKED_DAY.timetuple().tm_yday
    entries = call(manual, "GET", f"/daily/{doy}/2026", user="member").json()["day_entries"]
    assert entries and all(e["is_closed"] for e in entries)


def test_non_admin_cannot_edit_toggle_or_delete_locked_entries(manual: Sandbox) -> None:
    entry_id = _entry_on(manual, "member", LOCKED_DAY)
    before = manual.entries("member")
    for method, path, body in (
        ("POST", f"/daily/update/{entry_id}", {"notes": "sneaky"}),
        ("GET", f"/daily/timer/{entry_id}", None),
        ("DELETE", f"/daily/delete/{entry_id}", None),
    ):
        response = call(manual, method, path, user="member", body=body)
        assert response.status_code == 403, path
        assert response.headers["Content-Type"].startswith("text/plain") and "locked" in response.text
    add = call(
        manual,
        "POST",
        "/daily/add",
        user="member",
        body={"project_id": 2001, "task_id": 3001, "hours": 1, "spent_at": LOCKED_DAY.isoformat()},
    )
    assert add.status_code == 403
    assert manual.entries("member") == before


def test_admin_edits_locked_hours_but_not_project_task_or_date(manual: Sandbox) -> None:
    member = manual.users["member"]
    entry_id = _entry_on(manual, "member", LOCKED_DAY)
    of_member = {"of_user": member.id}
    ok = call(
        manual, "POST", f"/daily/update/{entry_id}", params=of_member, body={"hours": 2, "notes": "fixed"}
    )
    assert ok.status_code == 200 and ok.json()["hours"] == 2.0
    same_values = {"project_id": ok.json()["project_id"], "spent_at": LOCKED_DAY.isoformat(), "hours": 2}
    assert (
        call(manual, "POST", f"/daily/update/{entry_id}", params=of_member, body=same_values).status_code
        == 200
    )
    for change in ({"spent_at": "2026-03-10"}, {"task_id": 3003 if ok.json()["task_id"] != "3003" else 3001}):
        response = call(manual, "POST", f"/daily/update/{entry_id}", params=of_member, body=change)
        assert response.status_code == 403 and "read-only" in response.text
    assert call(manual, "DELETE", f"/daily/delete/{entry_id}", params=of_member).status_code == 200


def test_admin_adds_to_a_colleagues_timesheet_with_of_user(manual: Sandbox) -> None:
    member = manual.users["member"]
    response = call(
        manual,
        "POST",
        "/daily/add",
        params={"of_user": member.id},
        body={"project_id": 2004, "task_id": 3006, "hours": 0.25},
    )
    assert response.status_code == 201 and response.json()["user_id"] == member.id
    assert response.json()["id"] in {e.id for e in manual.entries("member")}
    refused = call(
        manual,
        "POST",
        "/daily/add",
        params={"of_user": member.id},
        body={"project_id": 2002, "task_id": 3001},
    )
    assert refused.status_code == 400  # 2002 is not one of the member's projects


def test_xml_delete_and_xml_errors_keep_text_bodies(manual: Sandbox) -> None:
    entry_id = _entry_on(manual, "admin", dt.date(2026, 3, 10))
    assert call(manual, "DELETE", f"/daily/delete/{entry_id}", fmt="xml").status_code == 200
    missing = call(manual, "GET", f"/daily/show/{entry_id}", fmt="xml")
    assert missing.status_code == 404 and missing.headers["Content-Type"].startswith("text/plain")
    bad = call(manual, "POST", "/daily/add", fmt="xml", body="<request><project_id>1</project_id></request>")
    assert bad.status_code == 400 and bad.headers["Content-Type"].startswith("text/plain")
    assert call(manual, "GET", "/daily", fmt="xml", auth=None).status_code == 401


def test_xml_entity_tricks_are_refused_not_expanded(manual: Sandbox) -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
        "<request><notes>&b;</notes><project_id>2001</project_id><task_id>3001</task_id></request>"
    )
    response = call(manual, "POST", "/daily/add", fmt="xml", body=bomb)
    assert response.status_code == 400
    assert not any("aaaa" in e.notes for e in manual.entries("admin"))
