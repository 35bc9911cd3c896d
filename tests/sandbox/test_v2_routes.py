"""The sandbox's v2 and Harvest ID endpoints, spoken to with plain requests over real HTTP."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import requests

from harvest_widget.sandbox import Fault, Sandbox

UA = {"User-Agent": "harvest-widget-tests (tests@example.com)"}


def v2(sandbox: Sandbox, user: str = "admin") -> requests.Session:
    session = requests.Session()
    person = sandbox.users[user]
    session.headers.update(
        {**UA, "Authorization": f"Bearer {person.access_token}", "Harvest-Account-Id": str(person.company.id)}
    )
    return session


def call(
    session: requests.Session, sandbox: Sandbox, method: str, path: str, **kwargs: Any
) -> requests.Response:
    return session.request(method, sandbox.url + path, timeout=10, **kwargs)


def today(sandbox: Sandbox, user: str = "admin") -> dt.date:
    return sandbox.world.today(sandbox.users[user])


def test_users_me_and_company_describe_the_token_owner(sandbox: Sandbox) -> None:
    session = v2(sandbox, "timestamp")
    me = call(session, sandbox, "GET", "/v2/users/me").json()
    company = call(session, sandbox, "GET", "/v2/company").json()
    assert me["id"] == sandbox.users["timestamp"].id
    assert me["timezone"] == "Pacific Time (US & Canada)"
    assert company["wants_timestamp_timers"] is True and company["clock"] == "12h"


def test_no_user_agent_is_400_and_bad_token_or_account_is_401_invalid_token(sandbox: Sandbox) -> None:
    admin = sandbox.users["admin"]
    auth = {"Authorization": f"Bearer {admin.access_token}", "Harvest-Account-Id": str(admin.company.id)}
    assert (
        requests.get(sandbox.url + "/v2/users/me", headers={**auth, "User-Agent": ""}, timeout=10).status_code
        == 400
    )
    for headers in (
        {**UA, "Authorization": "Bearer nope", "Harvest-Account-Id": str(admin.company.id)},
        {**UA, "Authorization": f"Bearer {admin.access_token}"},
        {**UA, "Authorization": f"Bearer {admin.access_token}", "Harvest-Account-Id": "999"},
        {
            **UA,
            "Authorization": "Basic ZGVtby1lbWFpbDpkZW1vLXBhc3N3b3Jk",
            "Harvest-Account-Id": str(admin.company.id),
        },
    ):
        reply = requests.get(sandbox.url + "/v2/users/me", headers=headers, timeout=10)
        assert reply.status_code == 401
        assert reply.json()["error"] == "invalid_token"


def test_query_string_credentials_work_too(sandbox: Sandbox) -> None:
    admin = sandbox.users["admin"]
    params = {"access_token": admin.access_token, "account_id": str(admin.company.id)}
    assert (
        requests.get(sandbox.url + "/v2/users/me", params=params, headers=UA, timeout=10).status_code == 200
    )


def test_duration_create_without_hours_starts_a_timer_and_stops_the_other(sandbox: Sandbox) -> None:
    session = v2(sandbox, "member")
    body = {"project_id": 2001, "task_id": 3001, "spent_date": today(sandbox, "member").isoformat()}
    first = call(session, sandbox, "POST", "/v2/time_entries", json=body)
    assert first.status_code == 201 and first.json()["is_running"] is True
    second = call(session, sandbox, "POST", "/v2/time_entries", json={**body, "notes": "next"})
    running = call(session, sandbox, "GET", "/v2/time_entries", params={"is_running": "true"}).json()
    assert [e["id"] for e in running["time_entries"]] == [second.json()["id"]]
    stopped = call(session, sandbox, "GET", f"/v2/time_entries/{first.json()['id']}").json()
    assert stopped["is_running"] is False and stopped["timer_started_at"] is None


def test_wrong_variant_for_the_account_is_422_with_a_message(sandbox: Sandbox) -> None:
    stamp = v2(sandbox, "timestamp")
    body = {
        "project_id": 2011,
        "task_id": 3011,
        "spent_date": today(sandbox, "timestamp").isoformat(),
        "hours": 1,
    }
    refused = call(stamp, sandbox, "POST", "/v2/time_entries", json=body)
    assert refused.status_code == 422 and "hours" in refused.json()["message"]
    duration = v2(sandbox, "member")
    body = {"project_id": 2001, "task_id": 3001, "spent_date": "2026-01-05", "started_time": "8:00am"}
    assert call(duration, sandbox, "POST", "/v2/time_entries", json=body).status_code == 422


def test_timestamp_create_with_times_is_stopped_and_form_bodies_work(sandbox: Sandbox) -> None:
    session = v2(sandbox, "timestamp")
    form = {
        "project_id": "2011",
        "task_id": "3011",
        "spent_date": today(sandbox, "timestamp").isoformat(),
        "started_time": "8:00am",
        "ended_time": "9:30am",
    }
    created = call(session, sandbox, "POST", "/v2/time_entries", data=form).json()
    assert created["is_running"] is False
    assert (created["started_time"], created["ended_time"], created["hours"]) == ("8:00am", "9:30am", 1.5)


def test_restart_on_timestamp_account_returns_a_new_entry_and_stop_ends_it(sandbox: Sandbox) -> None:
    session = v2(sandbox, "timestamp")
    old = sandbox.entries("timestamp")[-1]
    restarted = call(session, sandbox, "PATCH", f"/v2/time_entries/{old.id}/restart")
    assert restarted.status_code == 200
    new = restarted.json()
    assert new["id"] != old.id and new["is_running"] is True
    assert call(session, sandbox, "PATCH", f"/v2/time_entries/{new['id']}/restart").status_code == 422
    stopped = call(session, sandbox, "PATCH", f"/v2/time_entries/{new['id']}/stop").json()
    assert stopped["is_running"] is False and stopped["ended_time"]
    assert call(session, sandbox, "PATCH", f"/v2/time_entries/{new['id']}/stop").status_code == 422


def test_patch_changes_only_sent_fields_and_delete_removes(sandbox: Sandbox) -> None:
    session = v2(sandbox, "member")
    entry = sandbox.entries("member")[-1]
    patched = call(
        session, sandbox, "PATCH", f"/v2/time_entries/{entry.id}", json={"notes": "changed"}
    ).json()
    assert patched["notes"] == "changed" and patched["project"]["id"] == entry.project_id
    assert call(session, sandbox, "DELETE", f"/v2/time_entries/{entry.id}").status_code == 200
    assert call(session, sandbox, "GET", f"/v2/time_entries/{entry.id}").status_code == 404


def test_locked_entry_is_403_for_a_member(sandbox: Sandbox) -> None:
    session = v2(sandbox, "member")
    locked = next(
        e for e in sandbox.entries("member") if e.spent_at < today(sandbox, "member") - dt.timedelta(days=6)
    )
    sandbox.world.lock_days(sandbox.users["member"], [locked.spent_at])
    reply = call(session, sandbox, "PATCH", f"/v2/time_entries/{locked.id}", json={"notes": "x"})
    assert reply.status_code == 403 and reply.json()["message"]


def test_list_pages_follow_links_to_the_end(sandbox: Sandbox) -> None:
    session = v2(sandbox, "admin")
    admin = sandbox.users["admin"]
    url: str | None = sandbox.url + "/v2/time_entries"
    params: dict[str, str] | None = {"user_id": str(admin.id), "per_page": "3"}
    seen: list[int] = []
    while url:
        page = session.get(url, params=params, timeout=10).json()
        seen += [e["id"] for e in page["time_entries"]]
        url, params = page["links"]["next"], None
    assert sorted(seen) == sorted(e.id for e in sandbox.entries("admin"))
    assert len(seen) == len(set(seen)) > 3


def test_per_page_over_2000_is_422(sandbox: Sandbox) -> None:
    reply = call(v2(sandbox), sandbox, "GET", "/v2/time_entries", params={"per_page": "2001"})
    assert reply.status_code == 422 and reply.json()["message"] == "Invalid per_page parameter"


def test_updated_since_and_date_filters(sandbox: Sandbox) -> None:
    session = v2(sandbox, "member")
    day = today(sandbox, "member")
    entry = sandbox.entries("member")[-1]
    since = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    call(session, sandbox, "PATCH", f"/v2/time_entries/{entry.id}", json={"notes": "touched"})
    changed = call(session, sandbox, "GET", "/v2/time_entries", params={"updated_since": since}).json()
    assert entry.id in [e["id"] for e in changed["time_entries"]]
    assert all(e["updated_at"] >= since for e in changed["time_entries"])
    assert len(changed["time_entries"]) < len(sandbox.entries("member"))
    one_day = call(
        session, sandbox, "GET", "/v2/time_entries", params={"from": day.isoformat(), "to": day.isoformat()}
    )
    assert {e["spent_date"] for e in one_day.json()["time_entries"]} == {day.isoformat()}


def test_v2_is_throttled_with_429_and_retry_after_on_the_shared_account_budget(sandbox: Sandbox) -> None:
    sandbox.set_throttle(3, 60)
    session = v2(sandbox)
    statuses = [call(session, sandbox, "GET", "/v2/users/me").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    reply = call(session, sandbox, "GET", "/v2/company")
    assert reply.status_code == 429 and int(reply.headers["Retry-After"]) > 0


def test_faults_apply_to_v2_routes(sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault("status", status=502, path=r"^/v2/", times=1))
    session = v2(sandbox)
    assert call(session, sandbox, "GET", "/v2/users/me").status_code == 502
    assert call(session, sandbox, "GET", "/v2/users/me").status_code == 200


def test_accounts_list_the_tokens_harvest_and_forecast_accounts(sandbox: Sandbox) -> None:
    admin = sandbox.users["admin"]
    reply = requests.get(
        sandbox.url + "/api/v2/accounts",
        headers={**UA, "Authorization": f"Bearer {admin.access_token}"},
        timeout=10,
    ).json()
    assert {(a["id"], a["product"]) for a in reply["accounts"]} >= {(admin.company.id, "harvest")}
    assert any(a["product"] == "forecast" for a in reply["accounts"])


@pytest.mark.parametrize("grant", ["refresh_token", "password"])
def test_identity_token_endpoint_refreshes_and_refuses_unknown_grants(sandbox: Sandbox, grant: str) -> None:
    admin = sandbox.users["admin"]
    form = {
        "grant_type": grant,
        "refresh_token": admin.refresh_token,
        "client_id": "sandbox-client-id",
        "client_secret": "sandbox-client-secret",
    }
    reply = requests.post(sandbox.url + "/api/v2/oauth2/token", data=form, headers=UA, timeout=10)
    if grant == "refresh_token":
        assert reply.status_code == 200 and reply.json()["access_token"]
    else:
        assert reply.status_code == 400 and reply.json()["error"] == "unsupported_grant_type"
