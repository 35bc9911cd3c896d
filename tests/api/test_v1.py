"""V1Backend over real HTTP against the sandbox, every endpoint in both JSON and XML."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from decimal import Decimal

import pytest

from harvest_widget.api.auth import BasicAuth, OAuthToken
from harvest_widget.api.errors import ForbiddenError, NotFoundError, ProtocolError, ValidationError
from harvest_widget.api.rate_limiter import SlidingWindowLimiter
from harvest_widget.api.transport import Transport
from harvest_widget.api.v1 import V1Backend, connect_v1
from harvest_widget.api.v1_codec import DataFormat
from harvest_widget.core.account import HoursFormat, TimerMode
from harvest_widget.core.calendar import today_in
from harvest_widget.core.timesheet import EntryChanges, EntryDraft
from harvest_widget.sandbox import Fault, Sandbox

FORMATS = ["json", "xml"]


def _backend(sandbox: Sandbox, data_format: DataFormat, user: str = "admin", **kwargs: object) -> V1Backend:
    who = sandbox.users[user]
    return connect_v1(sandbox.url, BasicAuth(who.email, who.password), data_format, **kwargs)  # type: ignore[arg-type]


def _today(sandbox: Sandbox, user: str = "admin") -> dt.date:
    return sandbox.world.today(sandbox.users[user])


@pytest.fixture(params=FORMATS)
def data_format(request: pytest.FixtureRequest) -> DataFormat:
    return request.param  # type: ignore[no-any-return]


# ---- account ----------------------------------------------------------------------------------------


def test_whoami_reads_the_user_and_company(sandbox: Sandbox, data_format: DataFormat) -> None:
    who = _backend(sandbox, data_format).whoami()
    assert (who.user_id, who.email, who.is_admin, who.time_zone) == (
        1001,
        "demo-email",
        True,
        "Europe/Berlin",
    )
    assert (who.timer_mode, who.clock, who.company_name) == (TimerMode.DURATION, "24h", "Demo Studio")
    assert sandbox.requests[-1].headers["accept"] == f"application/{data_format}"


def test_whoami_of_a_timestamp_account(sandbox: Sandbox, data_format: DataFormat) -> None:
    who = _backend(sandbox, data_format, "timestamp").whoami()
    assert (who.timer_mode, who.clock, who.hours_format) == (
        TimerMode.TIMESTAMP,
        "12h",
        HoursFormat.HOURS_MINUTES,
    )
    assert (who.time_zone, who.week_start_day) == ("America/Los_Angeles", "Sunday")


def test_rate_limit_status_is_read_and_adopted_by_the_limiter(
    sandbox: Sandbox, data_format: DataFormat
) -> None:
    sandbox.set_throttle(7, 3.0)
    backend = _backend(sandbox, data_format)
    status = backend.rate_limit_status()
    assert (status.max_calls, status.timeframe_seconds) == (7, 3)
    assert (backend.transport.limiter.max_calls, backend.transport.limiter.window_seconds) == (7, 3.0)


# ---- reading days and entries --------------------------------------------------------------------------


def test_day_reads_a_dated_day_path_with_projects(sandbox: Sandbox, data_format: DataFormat) -> None:
    today = _today(sandbox)
    day = _backend(sandbox, data_format).day(today)
    assert sandbox.requests[-1].path == f"/daily/{today.timetuple().tm_yday}/{today.year}"
    expected = {e.id: e for e in sandbox.entries("admin") if e.spent_at == today}
    assert day.date == today and {e.id for e in day.entries} == set(expected)
    for entry in day.entries:
        assert (entry.project_id, entry.task_id, entry.hours) == (
            expected[entry.id].project_id,
            expected[entry.id].task_id,
            expected[entry.id].hours,
        )
    assert {p.id for p in day.projects} == {2001, 2002, 2003, 2004}
    assert day.projects[0].tasks


def test_slim_day_has_no_projects(sandbox: Sandbox, data_format: DataFormat) -> None:
    day = _backend(sandbox, data_format).day(_today(sandbox) - dt.timedelta(days=1), slim=True)
    assert day.projects == () and sandbox.requests[-1].query["slim"] == "1"


def test_today_is_harvests_today_in_the_users_zone(sandbox: Sandbox, data_format: DataFormat) -> None:
    day = _backend(sandbox, data_format).today()
    assert sandbox.requests[-1].path == "/daily"
    assert day.date == today_in("Europe/Berlin") == _today(sandbox)


def test_entry_shows_one_entry(sandbox: Sandbox, data_format: DataFormat) -> None:
    stored = sandbox.entries("admin")[0]
    entry = _backend(sandbox, data_format).entry(stored.id)
    assert (entry.id, entry.spent_on, entry.hours, entry.notes) == (
        stored.id,
        stored.spent_at,
        stored.hours,
        stored.notes,
    )


def test_a_missing_entry_is_not_found(sandbox: Sandbox, data_format: DataFormat) -> None:
    with pytest.raises(NotFoundError):
        _backend(sandbox, data_format).entry(999_999)


# ---- changing ------------------------------------------------------------------------------------------


def test_create_with_hours_answers_201_with_the_new_entry(sandbox: Sandbox, data_format: DataFormat) -> None:
    today = _today(sandbox)
    draft = EntryDraft(
        project_id=2001, task_id=3002, spent_on=today, notes="Wrote <tests> & more", hours=Decimal("1.25")
    )
    result = _backend(sandbox, data_format).create(draft)
    assert sandbox.requests[-1].status == 201
    assert sandbox.requests[-1].headers["content-type"] == f"application/{data_format}"
    entry = result.entry
    assert (entry.project_id, entry.task_id, entry.spent_on, entry.hours, entry.notes) == (
        2001,
        3002,
        today,
        Decimal("1.25"),
        "Wrote <tests> & more",
    )
    assert not entry.is_running and result.previous_timer_hours is None
    stored = next(e for e in sandbox.entries("admin") if e.id == entry.id)
    assert (stored.hours, stored.notes) == (Decimal("1.25"), "Wrote <tests> & more")


def test_create_without_hours_starts_a_timer_and_stops_the_previous_one(
    sandbox: Sandbox, data_format: DataFormat
) -> None:
    backend = _backend(sandbox, data_format)
    today = _today(sandbox)
    first = backend.create(EntryDraft(project_id=2001, task_id=3001, spent_on=today))
    assert first.entry.is_running and first.previous_timer_hours is None
    second = backend.create(EntryDraft(project_id=2002, task_id=3003, spent_on=today, notes="call"))
    assert second.entry.is_running and second.previous_timer_hours is not None
    running = {e.id for e in sandbox.entries("admin") if e.running}
    assert running == {second.entry.id}


def test_create_for_an_unassigned_project_is_a_validation_error(
    sandbox: Sandbox, data_format: DataFormat
) -> None:
    draft = EntryDraft(project_id=2011, task_id=3011, spent_on=_today(sandbox), hours=Decimal(1))
    with pytest.raises(ValidationError) as caught:
        _backend(sandbox, data_format).create(draft)
    assert caught.value.message.startswith("Harvest refused the change: ")


def test_update_changes_fields_and_returns_the_entry_as_harvest_has_it(
    sandbox: Sandbox, data_format: DataFormat
) -> None:
    stored = next(e for e in sandbox.entries("admin") if e.spent_at == _today(sandbox))
    backend = _backend(sandbox, data_format)
    entry = backend.update(stored.id, EntryChanges(notes="renamed", hours=Decimal("2.5"), task_id=3003))
    assert (entry.notes, entry.hours, entry.task_id, entry.project_id) == (
        "renamed",
        Decimal("2.5"),
        3003,
        stored.project_id,
    )
    after = next(e for e in sandbox.entries("admin") if e.id == stored.id)
    assert (after.notes, after.hours, after.task_id) == ("renamed", Decimal("2.50"), 3003)
    assert [r.method for r in sandbox.requests[-3:]] == ["GET", "POST", "GET"]


def test_update_of_a_running_entry_keeps_it_running(sandbox: Sandbox, data_format: DataFormat) -> None:
    backend = _backend(sandbox, data_format)
    started = backend.create(EntryDraft(project_id=2001, task_id=3001, spent_on=_today(sandbox))).entry
    entry = backend.update(started.id, EntryChanges(notes="still going"))
    assert entry.is_running and entry.notes == "still going"


def test_delete_removes_the_entry(sandbox: Sandbox, data_format: DataFormat) -> None:
    backend = _backend(sandbox, data_format)
    entry_id = sandbox.entries("admin")[0].id
    backend.delete(entry_id)
    assert entry_id not in {e.id for e in sandbox.entries("admin")}
    with pytest.raises(NotFoundError):
        backend.delete(entry_id)


# ---- timers ---------------------------------------------------------------------------------------------


def test_start_toggles_a_stopped_entry_on(sandbox: Sandbox, data_format: DataFormat) -> None:
    stored = next(e for e in sandbox.entries("admin") if e.spent_at == _today(sandbox))
    result = _backend(sandbox, data_format).start(stored.id)
    assert result.entry.id == stored.id and result.entry.is_running
    assert [r.path for r in sandbox.requests] == [f"/daily/show/{stored.id}", f"/daily/timer/{stored.id}"]


def test_start_reports_the_hours_of_the_timer_it_stopped(sandbox: Sandbox, data_format: DataFormat) -> None:
    first, second = (e for e in sandbox.entries("admin") if e.spent_at == _today(sandbox))
    backend = _backend(sandbox, data_format)
    backend.start(first.id)
    result = backend.start(second.id)
    assert result.previous_timer_hours == next(e for e in sandbox.entries("admin") if e.id == first.id).hours
    assert [e.id for e in sandbox.entries("admin") if e.running] == [second.id]


def test_start_of_a_running_entry_does_not_toggle_it_off(sandbox: Sandbox, data_format: DataFormat) -> None:
    backend = _backend(sandbox, data_format)
    running = backend.create(EntryDraft(project_id=2001, task_id=3001, spent_on=_today(sandbox))).entry
    sandbox.clear_requests()
    assert backend.start(running.id).entry.is_running
    assert [r.path for r in sandbox.requests] == [f"/daily/show/{running.id}"]


def test_a_stale_stop_never_starts_a_timer(sandbox: Sandbox, data_format: DataFormat) -> None:
    stored = sandbox.entries("admin")[0]
    entry = _backend(sandbox, data_format).stop(stored.id)
    assert not entry.is_running and not any(e.running for e in sandbox.entries("admin"))
    assert [r.path for r in sandbox.requests] == [f"/daily/show/{stored.id}"]


def test_stop_stops_a_running_timer(sandbox: Sandbox, data_format: DataFormat) -> None:
    backend = _backend(sandbox, data_format)
    running = backend.create(EntryDraft(project_id=2001, task_id=3001, spent_on=_today(sandbox))).entry
    stopped = backend.stop(running.id)
    assert stopped.id == running.id and not stopped.is_running
    assert not any(e.running for e in sandbox.entries("admin"))


def test_timestamp_account_restart_creates_a_new_entry_with_times_of_day(
    sandbox: Sandbox, data_format: DataFormat
) -> None:
    backend = _backend(sandbox, data_format, "timestamp")
    today = _today(sandbox, "timestamp")
    done = backend.create(
        EntryDraft(
            project_id=2011,
            task_id=3011,
            spent_on=today,
            notes="bake",
            started_at="8:00am",
            ended_at="9:30am",
        )
    ).entry
    assert (done.started_at, done.ended_at, done.hours) == ("8:00am", "9:30am", Decimal("1.5"))
    restarted = backend.start(done.id).entry
    assert restarted.id != done.id and restarted.is_running and restarted.notes == "bake"
    assert restarted.started_at and restarted.ended_at is None
    assert not backend.stop(restarted.id).is_running


def test_find_running_returns_none_when_nothing_runs(sandbox: Sandbox, data_format: DataFormat) -> None:
    assert _backend(sandbox, data_format).find_running() is None
    first = sandbox.requests[0]
    assert (first.path, first.query.get("slim")) == ("/daily", "1")
    assert len(sandbox.requests) == 2  # today, then yesterday


def test_find_running_finds_todays_timer_with_one_call(sandbox: Sandbox, data_format: DataFormat) -> None:
    backend = _backend(sandbox, data_format)
    running = backend.create(EntryDraft(project_id=2001, task_id=3001, spent_on=_today(sandbox))).entry
    sandbox.clear_requests()
    found = backend.find_running()
    assert found is not None and found.id == running.id and len(sandbox.requests) == 1


def test_find_running_finds_a_timer_started_yesterday(sandbox: Sandbox, data_format: DataFormat) -> None:
    backend = _backend(sandbox, data_format)
    yesterday = _today(sandbox) - dt.timedelta(days=1)
    running = backend.create(EntryDraft(project_id=2001, task_id=3001, spent_on=yesterday)).entry
    found = backend.find_running()
    assert found is not None and (found.id, found.spent_on) == (running.id, yesterday)


# ---- of_user, locks, OAuth ---------------------------------------------------------------------------


def test_an_admin_acts_on_another_users_timesheet_with_of_user(
    sandbox: Sandbox, data_format: DataFormat
) -> None:
    member = sandbox.users["member"]
    backend = _backend(sandbox, data_format, of_user=member.id)
    today = _today(sandbox, "member")
    day = backend.day(today)
    assert {e.id for e in day.entries} == {e.id for e in sandbox.entries("member") if e.spent_at == today}
    created = backend.create(EntryDraft(project_id=2004, task_id=3006, spent_on=today, hours=Decimal("0.5")))
    assert created.entry.user_id == member.id
    assert all(r.query.get("of_user") == str(member.id) for r in sandbox.requests)


def test_a_member_may_not_act_for_the_admin(sandbox: Sandbox, data_format: DataFormat) -> None:
    backend = _backend(sandbox, data_format, "member", of_user=sandbox.users["admin"].id)
    with pytest.raises(ForbiddenError) as caught:
        backend.day(_today(sandbox))
    assert "permission" in caught.value.message


def test_a_member_cannot_change_a_locked_entry(sandbox: Sandbox, data_format: DataFormat) -> None:
    locked = next(e for e in sandbox.entries("member") if e.is_locked)
    backend = _backend(sandbox, data_format, "member")
    assert backend.entry(locked.id).is_locked
    with pytest.raises(ForbiddenError):
        backend.update(locked.id, EntryChanges(notes="sneaky"))
    with pytest.raises(ForbiddenError):
        backend.delete(locked.id)


def test_an_admin_may_edit_notes_of_a_locked_entry(sandbox: Sandbox, data_format: DataFormat) -> None:
    locked = next(e for e in sandbox.entries("admin") if e.is_locked)
    assert (
        _backend(sandbox, data_format).update(locked.id, EntryChanges(notes="fixed typo")).notes
        == "fixed typo"
    )


def test_oauth_backend_refreshes_at_the_servers_token_endpoint_by_default(sandbox: Sandbox) -> None:
    user = sandbox.users["admin"]
    token = OAuthToken(
        user.access_token, refresh_token=user.refresh_token, client_id=sandbox.oauth_client.client_id
    )
    backend = connect_v1(sandbox.url, token)
    assert token.token_url == sandbox.url + "/oauth2/token"
    assert backend.whoami().user_id == user.id


# ---- the throttle, end to end ------------------------------------------------------------------------------


def test_a_burst_of_250_calls_never_meets_the_throttle(sandbox: Sandbox) -> None:
    """Four threads (like a widget and a CLI) share one account budget; Harvest enforces 20 / 1 s."""
    calls, window = 20, 1.0
    sandbox.set_throttle(calls, window)
    limiter = SlidingWindowLimiter(calls, window)
    admin = sandbox.users["admin"]
    statuses: list[int] = []
    lock = threading.Lock()

    def worker(count: int) -> None:
        backend = V1Backend(Transport(sandbox.url, BasicAuth(admin.email, admin.password), limiter=limiter))
        for i in range(count):
            if i % 2:
                backend.whoami()
            else:
                backend.today(slim=True)
            with lock:
                statuses.append(200)

    threads = [threading.Thread(target=worker, args=(n,)) for n in (63, 63, 62, 62)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    log = sandbox.requests
    assert len(statuses) == 250 and Counter(r.status for r in log) == {200: 250}
    times = sorted(r.time for r in log)
    for first, last in zip(times, times[calls:], strict=False):
        assert last - first > dt.timedelta(seconds=window)


@pytest.mark.parametrize("kind", ["malformed", "html"])
def test_an_unreadable_success_reply_is_a_protocol_error_with_the_raw_body(
    sandbox: Sandbox, data_format: DataFormat, kind: str
) -> None:
    if kind == "malformed":
        sandbox.faults.add(Fault("malformed", path="^/daily$"))
    else:
        sandbox.faults.add(Fault("status", status=200, content_type="html", path="^/daily$"))
    with pytest.raises(ProtocolError) as caught:
        _backend(sandbox, data_format).today()
    assert (
        caught.value.raw
        and caught.value.message == "Harvest sent a timesheet day that the widget could not read."
    )
