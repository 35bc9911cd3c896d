"""The Sandbox object: lifecycle on a fixed port, the request log, its own view of entries."""

from __future__ import annotations

import datetime as dt

import pytest
import requests

from harvest_widget.sandbox import ManualClock, Sandbox
from tests.sandbox.helpers import JSON_HEADERS, call


def test_start_after_stop_serves_again_on_the_same_port() -> None:
    server = Sandbox().start()
    try:
        url, port = server.url, server.port
        assert url == f"http://127.0.0.1:{port}" and server.running
        assert call(server, "GET", "/daily").status_code == 200
        server.stop()
        assert not server.running
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get(url + "/daily", timeout=5)
        server.start()
        assert server.url == url
        assert call(server, "GET", "/daily").status_code == 200
    finally:
        server.stop()


def test_stop_cuts_keep_alive_connections_too() -> None:
    server = Sandbox().start()
    session = requests.Session()
    session.auth = ("demo-email", "demo-password")
    session.headers.update(JSON_HEADERS)
    try:
        assert session.get(server.url + "/daily", timeout=5).status_code == 200
        server.stop()
        with pytest.raises(requests.exceptions.ConnectionError):
            session.get(server.url + "/daily", timeout=5)
        server.start()
        assert session.get(server.url + "/daily", timeout=5).status_code == 200
    finally:
        session.close()
        server.stop()


def test_context_manager_starts_and_stops() -> None:
    with Sandbox() as server:
        assert call(server, "GET", "/account/who_am_i").status_code == 200
    assert not server.running


def test_request_log_records_what_was_asked_and_answered(clock: ManualClock, manual: Sandbox) -> None:
    call(manual, "GET", "/daily", params={"slim": "1"})
    clock.advance(5)
    call(manual, "POST", "/daily/add", body={"project_id": 2001, "task_id": 3001, "hours": 1})
    call(manual, "GET", "/daily", auth=None)
    first, second, third = manual.requests
    assert (first.method, first.path, first.query, first.status) == ("GET", "/daily", {"slim": "1"}, 200)
    assert first.headers["accept"] == "application/json" and first.headers["authorization"].startswith(
        "Basic "
    )
    assert first.time == dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC)
    assert (second.method, second.status, second.time.second) == ("POST", 201, 5)
    assert b'"project_id": 2001' in second.body
    assert third.status == 401
    manual.clear_requests()
    assert manual.requests == []


def test_entries_gives_the_sandboxs_own_view(manual: Sandbox) -> None:
    entries = manual.entries("admin")
    assert entries == sorted(entries, key=lambda e: (e.spent_at, e.created_at, e.id))
    assert {e.user_id for e in entries} == {1001}
    assert entries[-1].spent_at == dt.date(2026, 3, 10) and not any(e.running for e in entries)
    assert all(e.hours.as_tuple().exponent == -2 and e.hours > 0 for e in entries)
    with pytest.raises(KeyError):
        manual.entries("nobody")


def test_demo_data_is_the_same_for_the_same_day(clock: ManualClock) -> None:
    one, two = Sandbox(clock=clock), Sandbox(clock=clock)
    assert one.entries("admin") == two.entries("admin")
    assert len({e.spent_at for e in one.entries("admin")}) == 11  # 10 weekdays before + today
    assert [e.spent_at for e in one.entries("timestamp")][-1] == dt.date(2026, 3, 10)
