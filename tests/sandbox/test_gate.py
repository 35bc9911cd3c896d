"""Credentials (Basic, bearer header, access_token query) and the per-account throttle."""

from __future__ import annotations

import requests

from harvest_widget.sandbox import ManualClock, Sandbox
from tests.sandbox.helpers import JSON_HEADERS, call


def _get(sandbox: Sandbox, **kwargs: object) -> requests.Response:
    kwargs.setdefault("headers", JSON_HEADERS)
    return requests.get(sandbox.url + "/daily", timeout=5, **kwargs)  # type: ignore[arg-type]


def test_basic_auth_with_the_demo_credentials_works(manual: Sandbox) -> None:
    assert _get(manual, auth=("demo-email", "demo-password")).status_code == 200
    assert _get(manual, auth=("DEMO-EMAIL", "demo-password")).status_code == 200  # emails ignore case


def test_wrong_or_missing_credentials_are_401_with_a_text_body(manual: Sandbox) -> None:
    for kwargs in (
        {},
        {"auth": ("demo-email", "wrong")},
        {"auth": ("nobody@example.com", "demo-password")},
        {"headers": {**JSON_HEADERS, "Authorization": "Basic !!!notbase64"}},
        {"headers": {**JSON_HEADERS, "Authorization": "Bearer not-a-token"}},
        {"params": {"access_token": "not-a-token"}},
        {"headers": {**JSON_HEADERS, "Authorization": "Digest abc"}},
    ):
        response = _get(manual, **kwargs)
        assert response.status_code == 401, kwargs
        assert response.headers["Content-Type"].startswith("text/plain")
    assert manual.entries("admin")  # nothing was touched


def test_bearer_token_in_header_or_query(manual: Sandbox) -> None:
    token = manual.users["member"].access_token
    by_header = _get(manual, headers={**JSON_HEADERS, "Authorization": f"Bearer {token}"})
    by_query = _get(manual, params={"access_token": token})
    assert by_header.status_code == by_query.status_code == 200
    assert {e["user_id"] for e in by_query.json()["day_entries"]} == {manual.users["member"].id}


def test_pre_issued_tokens_expire_after_18_hours(clock: ManualClock, manual: Sandbox) -> None:
    token = manual.users["admin"].access_token
    clock.advance(64798)
    assert _get(manual, params={"access_token": token}).status_code == 200
    clock.advance(2)
    assert _get(manual, params={"access_token": token}).status_code == 401
    assert _get(manual, auth=("demo-email", "demo-password")).status_code == 200


def test_throttle_answers_503_with_retry_after_beyond_the_limit(clock: ManualClock, manual: Sandbox) -> None:
    manual.set_throttle(5, 1)
    statuses = [call(manual, "GET", "/daily").status_code for _ in range(5)]
    assert statuses == [200] * 5
    throttled = call(manual, "GET", "/daily")
    assert throttled.status_code == 503 and throttled.headers["Retry-After"] == "1"
    assert call(manual, "GET", "/daily", user="member").status_code == 503  # the same account
    assert call(manual, "GET", "/daily", user="timestamp").status_code == 200  # another account
    clock.advance(1)
    assert call(manual, "GET", "/daily").status_code == 200


def test_calls_during_the_lockout_extend_it(clock: ManualClock, manual: Sandbox) -> None:
    manual.set_throttle(5, 2)
    for _ in range(5):
        call(manual, "GET", "/daily")
    assert call(manual, "GET", "/daily").status_code == 503  # lockout until +2 s
    clock.advance(1.5)
    assert call(manual, "GET", "/daily").status_code == 503  # restarts it: until +3.5 s
    clock.advance(1.5)
    assert call(manual, "GET", "/daily").status_code == 503  # +3.0: would have lifted; now until +5.0
    clock.advance(2)
    assert call(manual, "GET", "/daily").status_code == 200


def test_throttle_is_counted_on_a_sliding_window(clock: ManualClock, manual: Sandbox) -> None:
    manual.set_throttle(5, 1)
    for _ in range(4):
        call(manual, "GET", "/daily")
    clock.advance(0.6)
    call(manual, "GET", "/daily")  # 5 in the window
    clock.advance(0.5)  # the first four left the window
    assert [call(manual, "GET", "/daily").status_code for _ in range(4)] == [200] * 4
    assert call(manual, "GET", "/daily").status_code == 503


def test_rate_limit_status_is_not_throttled_and_not_counted(clock: ManualClock, manual: Sandbox) -> None:
    manual.set_throttle(5, 1)
    for _ in range(6):
        call(manual, "GET", "/daily")
    status = call(manual, "GET", "/account/rate_limit_status")
    assert status.status_code == 200 and status.json()["count"] == 5
    assert call(manual, "GET", "/account/rate_limit_status", auth=None).status_code == 401


def test_throttle_works_on_the_wall_clock_too(sandbox: Sandbox) -> None:
    sandbox.set_throttle(3, 30)
    assert [call(sandbox, "GET", "/daily").status_code for _ in range(4)] == [200, 200, 200, 503]
