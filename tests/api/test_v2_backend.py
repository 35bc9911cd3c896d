"""V2Backend against the sandbox over real HTTP: every operation, throttling, errors, pagination."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal

import pytest

from harvest_widget.api.errors import (
    AuthError,
    ForbiddenError,
    NetworkError,
    NotFoundError,
    ServerError,
    ThrottledError,
    ValidationError,
)
from harvest_widget.api.rate_limiter import SlidingWindowLimiter
from harvest_widget.api.v2 import PersonalAccessToken, V2Backend, connect_v2
from harvest_widget.core.account import HoursFormat, TimerMode
from harvest_widget.core.timesheet import EntryChanges, EntryDraft
from harvest_widget.sandbox import Fault, ManualClock, Sandbox
from harvest_widget.sandbox.demo_data import demo_catalog
from harvest_widget.sandbox.world import Catalog, EntryFields, SandboxProject

START = dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC)  # a Tuesday, mid-morning in Europe


def backend_for(sandbox: Sandbox, user: str = "member", *, max_wait: float = 5.0) -> V2Backend:
    person = sandbox.users[user]
    return connect_v2(
        PersonalAccessToken(person.access_token), person.company.id, base_url=sandbox.url, max_wait=max_wait
    )


def v2_bodies(sandbox: Sandbox, method: str, path_part: str) -> list[dict[str, object]]:
    return [
        json.loads(r.body) for r in sandbox.requests if r.method == method and path_part in r.path and r.body
    ]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def manual(clock: ManualClock) -> Iterator[Sandbox]:
    with Sandbox(clock=clock) as server:
        yield server


def test_whoami_reads_user_and_company_settings(manual: Sandbox) -> None:
    who = backend_for(manual, "timestamp").whoami()
    assert who.user_id == manual.users["timestamp"].id
    assert who.time_zone == "America/Los_Angeles"
    assert who.timer_mode is TimerMode.TIMESTAMP
    assert (who.clock, who.hours_format, who.week_start_day) == ("12h", HoursFormat.HOURS_MINUTES, "Sunday")
    member = backend_for(manual, "member").whoami()
    assert (member.timer_mode, member.time_zone, member.is_admin) == (
        TimerMode.DURATION,
        "Europe/London",
        False,
    )


def test_day_reads_the_users_entries_and_projects(manual: Sandbox) -> None:
    backend = backend_for(manual, "member")
    today = manual.world.today(manual.users["member"])
    day = backend.day(today)
    expected = [e for e in manual.entries("member") if e.spent_at == today]
    assert sorted(e.id for e in day.entries) == sorted(e.id for e in expected)
    assert {p.id for p in day.projects} == {2001, 2004}
    assert all(e.user_id == manual.users["member"].id for e in day.entries)
    assert all("user_id" in r.query for r in manual.requests if r.path == "/v2/time_entries")


def test_admin_day_is_filtered_to_their_own_entries(manual: Sandbox) -> None:
    today = manual.world.today(manual.users["admin"])
    day = backend_for(manual, "admin").day(today)
    assert {e.user_id for e in day.entries} == {manual.users["admin"].id}


def test_create_without_hours_starts_a_timer_and_find_running_sees_it(
    manual: Sandbox, clock: ManualClock
) -> None:
    backend = backend_for(manual, "member")
    today = manual.world.today(manual.users["member"])
    result = backend.create(EntryDraft(2001, 3001, today, notes="v2 timer"))
    assert result.entry.is_running and result.previous_timer_hours is None
    assert "hours" not in v2_bodies(manual, "POST", "/v2/time_entries")[-1]
    clock.advance(1800)
    running = backend.find_running()
    assert running is not None and running.id == result.entry.id
    assert running.hours == Decimal("0.50")
    stopped = backend.stop(result.entry.id)
    assert not stopped.is_running and stopped.hours == Decimal("0.50")
    assert backend.find_running() is None


def test_create_with_hours_is_stopped_with_exact_hours(manual: Sandbox) -> None:
    backend = backend_for(manual, "member")
    entry = backend.create(
        EntryDraft(2004, 3006, dt.date(2026, 3, 9), notes="admin", hours=Decimal("1.25"))
    ).entry
    assert not entry.is_running and entry.hours == Decimal("1.25")
    assert backend.entry(entry.id) == entry


def test_timestamp_account_creates_with_start_and_end_times(manual: Sandbox) -> None:
    backend = backend_for(manual, "timestamp")
    day = manual.world.today(manual.users["timestamp"])
    entry = backend.create(EntryDraft(2011, 3011, day, started_at="1:00am", ended_at="2:30am")).entry
    assert (entry.started_at, entry.ended_at, entry.hours) == ("1:00am", "2:30am", Decimal("1.5"))
    body = v2_bodies(manual, "POST", "/v2/time_entries")[-1]
    assert "hours" not in body and body["started_time"] == "1:00am"
    running = backend.create(EntryDraft(2011, 3012, day, notes="deliveries")).entry
    assert running.is_running  # v2 leaves timer_started_at null here; the codec still sees a timer


def test_updating_a_running_timers_notes_or_project_sends_no_hours(manual: Sandbox) -> None:
    backend = backend_for(manual, "admin")
    today = manual.world.today(manual.users["admin"])
    running = backend.create(EntryDraft(2001, 3001, today, notes="before")).entry
    manual.clear_requests()
    updated = backend.update(running.id, EntryChanges(notes="after", project_id=2002, task_id=3002))
    assert (updated.notes, updated.project_id, updated.task_id, updated.is_running) == (
        "after",
        2002,
        3002,
        True,
    )
    (body,) = v2_bodies(manual, "PATCH", f"/v2/time_entries/{running.id}")
    assert body == {"notes": "after", "project_id": 2002, "task_id": 3002}
    assert [r.method for r in manual.requests] == ["PATCH"]  # no extra read when hours do not change
    with pytest.raises(ValidationError, match="Stop the timer"):
        backend.update(running.id, EntryChanges(hours=Decimal(2)))
    assert all("hours" not in b for b in v2_bodies(manual, "PATCH", "/v2/time_entries"))


def test_an_update_with_nothing_to_send_only_reads_the_entry(manual: Sandbox) -> None:
    backend = backend_for(manual, "member")
    backend.whoami()
    entry = manual.entries("member")[-1]
    manual.clear_requests()
    assert backend.update(entry.id, EntryChanges(started_at="9:00am")).id == entry.id
    assert [r.method for r in manual.requests] == ["GET"]


def test_updating_hours_of_a_stopped_entry_sends_them(manual: Sandbox) -> None:
    backend = backend_for(manual, "member")
    entry = manual.entries("member")[-1]
    assert not entry.running
    updated = backend.update(entry.id, EntryChanges(hours=Decimal("3.75")))
    assert updated.hours == Decimal("3.75")


def test_restart_that_returns_a_new_id_is_followed(manual: Sandbox, clock: ManualClock) -> None:
    backend = backend_for(manual, "timestamp")
    old = manual.entries("timestamp")[-1]
    result = backend.start(old.id)
    assert result.entry.id != old.id and result.entry.is_running
    assert result.entry.project_id == old.project_id and result.entry.notes == old.notes
    assert result.previous_timer_hours is None
    clock.advance(900)
    assert backend.find_running() == backend.entry(result.entry.id)
    stopped = backend.stop(result.entry.id)
    assert not stopped.is_running and stopped.id == result.entry.id
    assert {e.id for e in manual.entries("timestamp")} >= {old.id, result.entry.id}


def test_start_and_stop_are_idempotent_for_retries(manual: Sandbox) -> None:
    backend = backend_for(manual, "member")
    entry = manual.entries("member")[-1]
    first = backend.start(entry.id)
    again = backend.start(first.entry.id)  # v2 answers 422; the entry already runs, so that is success
    assert again.entry.id == first.entry.id and again.entry.is_running
    stopped = backend.stop(entry.id)
    assert backend.stop(entry.id).id == stopped.id


def test_duration_restart_keeps_the_id_and_stops_the_other_timer(manual: Sandbox) -> None:
    backend = backend_for(manual, "member")
    first, second = manual.entries("member")[-2:]
    backend.start(first.id)
    result = backend.start(second.id)
    assert result.entry.id == second.id
    # v2 does not say what happened to the other timer: the engine re-reads the running state.
    running = backend.find_running()
    assert running is not None and running.id == second.id
    assert not backend.entry(first.id).is_running


def test_delete_then_entry_is_not_found(manual: Sandbox) -> None:
    backend = backend_for(manual, "member")
    entry = manual.entries("member")[-1]
    backend.delete(entry.id)
    with pytest.raises(NotFoundError):
        backend.entry(entry.id)
    assert entry.id not in {e.id for e in manual.entries("member")}


def test_422_message_is_the_users_error(manual: Sandbox) -> None:
    backend = backend_for(manual, "member")
    with pytest.raises(ValidationError) as caught:
        backend.create(EntryDraft(2003, 3001, dt.date(2026, 3, 9), hours=Decimal(1)))
    assert "Project 2003 is not a project you can track time to" in caught.value.message


def test_locked_entry_is_forbidden(manual: Sandbox) -> None:
    member = manual.users["member"]
    locked = next(e for e in manual.entries("member") if manual.world.is_locked(member, e.spent_at))
    with pytest.raises(ForbiddenError):
        backend_for(manual, "member").update(locked.id, EntryChanges(notes="no"))


def test_invalid_token_is_sign_in_again(manual: Sandbox) -> None:
    member = manual.users["member"]
    backend = connect_v2(PersonalAccessToken("revoked"), member.company.id, base_url=manual.url)
    with pytest.raises(AuthError, match="sign in again"):
        backend.whoami()
    other_account = connect_v2(PersonalAccessToken(member.access_token), 424242, base_url=manual.url)
    with pytest.raises(AuthError):
        other_account.whoami()


def test_429_beyond_the_wait_limit_is_throttled_until_retry_after(manual: Sandbox) -> None:
    manual.set_throttle(2, 60)
    backend = backend_for(manual, "member", max_wait=0.0)
    backend.whoami()  # two calls fill the sandbox's window; our limiter does not know its budget
    with pytest.raises(ThrottledError) as caught:
        backend.entry(manual.entries("member")[-1].id)
    assert caught.value.status == 429
    assert caught.value.retry_at > dt.datetime.now(dt.UTC)
    assert manual.requests[-1].status == 429


def test_throttled_call_is_retried_after_the_lockout() -> None:
    # Wall-clock sandbox with a 1 s window: the transport honours Retry-After (1 s) and retries.
    with Sandbox(throttle_calls=2, throttle_seconds=1.0) as sandbox:
        backend = backend_for(sandbox, "member", max_wait=10.0)
        entry_id = sandbox.entries("member")[-1].id
        backend.whoami()
        assert backend.entry(entry_id).id == entry_id
        statuses = [r.status for r in sandbox.requests]
        assert 429 in statuses and statuses[-1] == 200


def test_limiter_keeps_a_burst_under_the_account_budget(manual: Sandbox) -> None:
    limiter = SlidingWindowLimiter(max_calls=5, window_seconds=0.5)
    person = manual.users["member"]
    backend = connect_v2(
        PersonalAccessToken(person.access_token), person.company.id, base_url=manual.url, limiter=limiter
    )
    manual.set_throttle(5, 60)  # the sandbox runs on a frozen clock: its window never slides
    backend.whoami()
    backend.find_running()
    assert all(r.status == 200 for r in manual.requests)


def many_projects_catalog(count: int) -> Catalog:
    base = demo_catalog()
    client = base.projects[0].client
    task = base.projects[0].tasks[0]  # a task the demo data knows notes for
    extra = tuple(
        SandboxProject(70000 + i, f"Project {i:03d}", f"P{i}", client, True, (task,)) for i in range(count)
    )
    member = base.user_by_name("member")
    assignments = {**base.assignments, member.id: base.assignments[member.id] + tuple(p.id for p in extra)}
    return Catalog(users=base.users, projects=base.projects + extra, assignments=assignments)


def test_250_project_assignments_and_120_entries_are_read_completely_at_a_small_page_size(
    clock: ManualClock,
) -> None:
    with Sandbox(clock=clock, catalog=many_projects_catalog(248)) as sandbox:
        sandbox.v2.page_size = 7
        member = sandbox.users["member"]
        day = dt.date(2026, 3, 14)  # this week (not locked), a Saturday without demo entries
        for i in range(120):
            sandbox.world.add(member, member, _fields(day, i))
        backend = backend_for(sandbox, "member")
        result = backend.day(day)
        assert len(result.projects) == 250
        assert len(result.entries) == 120
        assert {e.notes for e in result.entries} == {f"entry {i}" for i in range(120)}
        pages = [r for r in sandbox.requests if r.path == "/v2/time_entries"]
        assert len(pages) == 18  # ceil(120 / 7)


def test_day_reread_uses_updated_since_and_notices_deletions(clock: ManualClock) -> None:
    with Sandbox(clock=clock) as sandbox:
        sandbox.v2.page_size = 10
        member = sandbox.users["member"]
        day = dt.date(2026, 3, 14)  # this week (not locked), a Saturday without demo entries
        for i in range(45):
            sandbox.world.add(member, member, _fields(day, i))
        clock.advance(3600)
        sandbox.world.update(member, member, sandbox.entries("member")[-1].id, _notes("touched"))
        backend = backend_for(sandbox, "member")
        first = backend.day(day)
        clock.advance(3600)
        changed = first.entries[5]
        sandbox.world.update(member, member, changed.id, _notes("changed elsewhere"))
        sandbox.clear_requests()
        second = backend.day(day)
        calls = [r for r in sandbox.requests if r.path.startswith("/v2/")]
        assert len(calls) == 2  # one updated_since page + one per_page=1 total, instead of 5+ pages
        assert "updated_since" in calls[0].query
        assert next(e for e in second.entries if e.id == changed.id).notes == "changed elsewhere"
        assert len(second.entries) == len(first.entries)
        sandbox.world.delete(member, member, first.entries[0].id)
        third = backend.day(day)
        assert first.entries[0].id not in {e.id for e in third.entries}
        assert len(third.entries) == len(first.entries) - 1
        timer = sandbox.world.start(member, member, third.entries[0].id).entry
        backend.day(day)
        clock.advance(1800)  # a running timer's hours grow while its updated_at stays put
        fourth = backend.day(day)
        assert next(e for e in fourth.entries if e.id == timer.id).hours == timer.hours + Decimal("0.50")


def _fields(day: dt.date, i: int) -> EntryFields:
    return EntryFields(notes=f"entry {i}", hours=Decimal("0.25"), project_id=2001, task_id=3001, spent_at=day)


def _notes(text: str) -> EntryFields:
    return EntryFields(notes=text)


def test_lost_reply_to_a_create_is_maybe_applied_and_the_entry_exists(manual: Sandbox) -> None:
    backend = backend_for(manual, "member")
    backend.whoami()
    manual.faults.add(Fault("drop_after_commit", method="POST", path=r"^/v2/time_entries$", times=1))
    draft = EntryDraft(2004, 3006, dt.date(2026, 3, 9), notes="lost reply", hours=Decimal("0.5"))
    with pytest.raises(NetworkError) as caught:
        backend.create(draft)
    assert caught.value.maybe_applied
    assert "lost reply" in {e.notes for e in backend.day(draft.spent_on).entries}


def test_html_error_page_from_a_proxy_is_a_server_error(manual: Sandbox) -> None:
    manual.faults.add(Fault("status", status=502, content_type="html", path=r"^/v2/", times=5))
    with pytest.raises(ServerError):
        backend_for(manual, "member").whoami()


def test_links_naming_another_host_are_followed_on_ours_so_the_token_stays_home(manual: Sandbox) -> None:
    backend = backend_for(manual, "member")
    backend.whoami()
    today = manual.world.today(manual.users["member"])
    member_id = manual.users["member"].id
    first_page = {
        "time_entries": [],
        "next_page": 2,
        "links": {
            "next": f"https://elsewhere.example/v2/time_entries?user_id={member_id}&from={today}&to={today}&page=1"
        },
    }
    manual.faults.add(
        Fault(
            "status",
            status=200,
            content_type="json",
            body=json.dumps(first_page),
            path=r"^/v2/time_entries$",
            times=1,
        )
    )
    entries = backend.day(today).entries
    assert sorted(e.id for e in entries) == sorted(
        e.id for e in manual.entries("member") if e.spent_at == today
    )
    followed = [r for r in manual.requests if r.path == "/v2/time_entries"]
    assert len(followed) == 2 and followed[1].query["page"] == "1"
