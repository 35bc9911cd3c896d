"""Fault injection, in-process: statuses with odd bodies, broken bodies, resets, drops after commit."""

from __future__ import annotations

import json
import time
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree as SafeET
import pytest
import requests

from harvest_widget.sandbox import Fault, Sandbox
from harvest_widget.sandbox.faults import GARBAGE, FaultSpecError
from tests.sandbox.helpers import call

ADD = {"project_id": 2001, "task_id": 3001, "hours": 1, "notes": "faulty"}


def test_status_fault_answers_an_html_error_page_and_changes_nothing(sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault("status", status=502, path="^/daily/add"))
    before = sandbox.entries("admin")
    response = call(sandbox, "POST", "/daily/add", body=ADD)
    assert response.status_code == 502
    assert response.headers["Content-Type"].startswith("text/html") and "<html>" in response.text
    assert sandbox.entries("admin") == before
    assert call(sandbox, "GET", "/daily").status_code == 200  # the path filter spared it


@pytest.mark.parametrize(
    ("body_format", "check"),
    [
        ("json", lambda r: json.loads(r.text)["status"] == 500),
        ("xml", lambda r: r.text.startswith("<?xml") and "<error>" in r.text),
        ("garbage", lambda r: r.content == GARBAGE),
        ("text", lambda r: r.text.startswith("sandbox fault")),
    ],
)
def test_status_fault_bodies_come_in_every_format(sandbox: Sandbox, body_format: str, check: object) -> None:
    sandbox.faults.add(Fault("status", status=500, content_type=body_format))  # type: ignore[arg-type]
    response = call(sandbox, "GET", "/daily")
    assert response.status_code == 500 and check(response)  # type: ignore[operator]


def test_status_fault_with_headers_and_body_fakes_a_throttle(sandbox: Sandbox) -> None:
    sandbox.faults.add(
        Fault("status", status=503, body="slow down", content_type="text", headers={"Retry-After": "7"})
    )
    response = call(sandbox, "GET", "/daily")
    assert (response.status_code, response.headers["Retry-After"], response.text) == (503, "7", "slow down")


def test_times_limits_a_fault_and_method_filters_it(sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault("status", status=500, method="GET", times=2))
    assert call(sandbox, "POST", "/daily/add", body=ADD).status_code == 201
    assert [call(sandbox, "GET", "/daily").status_code for _ in range(3)] == [500, 500, 200]
    assert sandbox.faults.active() == []


def test_clear_removes_faults(sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault("status", status=500))
    sandbox.faults.clear()
    assert call(sandbox, "GET", "/daily").status_code == 200


def test_malformed_applies_the_change_and_breaks_the_body(sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault("malformed", path="add"))
    response = call(sandbox, "POST", "/daily/add", body=ADD)
    assert response.status_code == 201
    with pytest.raises(ValueError):
        response.json()
    assert any(e.notes == "faulty" for e in sandbox.entries("admin"))


def test_malformed_xml_does_not_parse(sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault("malformed"))
    response = call(sandbox, "GET", "/daily", fmt="xml")
    assert response.status_code == 200
    with pytest.raises(ParseError):
        SafeET.fromstring(response.content)


def test_truncated_body_is_cut_short_after_applying_the_change(sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault("truncated", path="add"))
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        call(sandbox, "POST", "/daily/add", body=ADD)
    assert any(e.notes == "faulty" for e in sandbox.entries("admin"))


def test_reset_drops_the_connection_before_anything_happens(sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault("reset", times=1))
    before = sandbox.entries("admin")
    with pytest.raises(requests.exceptions.ConnectionError):
        call(sandbox, "POST", "/daily/add", body=ADD)
    assert sandbox.entries("admin") == before
    assert sandbox.requests[-1].status is None


def test_drop_after_commit_applies_the_change_but_sends_nothing(sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault("drop_after_commit", method="POST", times=1))
    with pytest.raises(requests.exceptions.ConnectionError):
        call(sandbox, "POST", "/daily/add", body=ADD)
    assert [e.notes for e in sandbox.entries("admin")].count("faulty") == 1
    logged = sandbox.requests[-1]
    assert (logged.method, logged.path, logged.status) == ("POST", "/daily/add", None)
    assert call(sandbox, "POST", "/daily/add", body=ADD).status_code == 201  # times=1 used up


def test_latency_delays_the_answer(sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault("latency", seconds=0.3, path="who_am_i"))
    started = time.monotonic()
    assert call(sandbox, "GET", "/account/who_am_i").status_code == 200
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    call(sandbox, "GET", "/daily")
    assert time.monotonic() - started < 0.3


def test_latency_combines_with_a_status_fault(sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault("latency", seconds=0.2))
    sandbox.faults.add(Fault("status", status=504))
    started = time.monotonic()
    assert call(sandbox, "GET", "/daily").status_code == 504
    assert time.monotonic() - started >= 0.2


@pytest.mark.parametrize(
    "spec",
    [{"kind": "explode"}, {"kind": "status", "status": 999}, {"kind": "status", "content_type": "pdf"}, {}],
)
def test_nonsense_faults_are_refused(spec: dict[str, object]) -> None:
    with pytest.raises(FaultSpecError):
        Fault.from_mapping(spec)


def test_command_line_fault_spec() -> None:
    fault = Fault.parse("kind=status,status=502,content_type=html,path=^/daily,times=3")
    assert (fault.kind, fault.status, fault.path, fault.times) == ("status", 502, "^/daily", 3)
    assert Fault.parse("reset,method=post").method == "POST"
    assert Fault.parse("latency=0.5") == Fault("latency", seconds=0.5)
