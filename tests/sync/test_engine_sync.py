"""The engine against the real v1 and v2 clients and the local Harvest sandbox: every operation
online, offline, throttled and with wrong credentials, each reaching the server exactly once."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from harvest_widget.api.errors import AuthError, NetworkError, ThrottledError
from harvest_widget.api.v1 import V1Backend
from harvest_widget.api.v2 import V2Backend
from harvest_widget.core.timesheet import EntryChanges, EntryDraft, TimerResult
from harvest_widget.paths import AppPaths
from harvest_widget.sandbox import Sandbox
from harvest_widget.store import Store
from harvest_widget.sync import Engine
from tests.sync.conftest import Clocks
from tests.sync.harvest import (
    PROJECT,
    TASK,
    WHO_AM_I,
    Api,
    Wire,
    cache_view,
    engine_for_user,
    make_engine,
    server_view,
)

EngineFactory = Callable[..., Engine]


@pytest.fixture
def engine_for(sandbox: Sandbox, home: AppPaths, api: Api) -> EngineFactory:
    """Engines on one cache file over `api`; `engine_for(secret="wrong")` for a bad login."""

    def build(user: str = "admin", secret: str | None = None, **engine_args: Any) -> Engine:
        store = Store(home.cache_db)
        if secret is None:
            return engine_for_user(store, home.data_dir, sandbox, api, user, **engine_args)
        account = sandbox.users[user]
        return make_engine(
            store, home.data_dir, sandbox.url, account.email, secret, api=api,
            account_id=account.company.id, **engine_args,
        )  # fmt: skip

    return build


@pytest.fixture
def engine(engine_for: EngineFactory) -> Engine:
    signed_in = engine_for()
    signed_in.sign_in()
    signed_in.refresh_day(signed_in.today())
    return signed_in


def _every_operation(engine: Engine, tag: str) -> None:
    """One of each local operation on today's timesheet (two seeded entries exist)."""
    today = engine.today()
    first, second = (le.entry.id for le in engine.snapshot(today).entries[:2])
    engine.create(EntryDraft(PROJECT, TASK, today, f"{tag} added", Decimal("1.25")))
    timer = engine.start_new(EntryDraft(PROJECT, TASK, today, f"{tag} timer")).running
    assert timer is not None
    engine.edit(timer.entry.id, EntryChanges(notes=f"{tag} timer renamed"))
    engine.stop(timer.entry.id)
    engine.start(first)
    engine.stop(first)
    engine.edit(first, EntryChanges(notes=f"{tag} edited", hours=Decimal("2.5")))
    engine.delete(second)


def _assert_server_matches(engine: Engine, sandbox: Sandbox, tag: str) -> None:
    today = engine.today()
    server = server_view(sandbox.entries("admin"), today)
    assert cache_view(engine, today) == server
    notes = Counter(v[2] for v in server.values())
    assert notes[f"{tag} added"] == 1 and notes[f"{tag} timer renamed"] == 1 and notes[f"{tag} edited"] == 1
    assert len(server) == 3  # two seeded (one deleted) + added + timer
    assert Decimal("2.5") in {v[3] for v in server.values()}
    assert engine.status().is_clean


def _sync_until_clean(engine: Engine, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not engine.sync().complete:
        assert time.monotonic() < deadline, engine.status()
        time.sleep(0.05)


def test_online_every_operation_reaches_the_server_once(engine: Engine, sandbox: Sandbox, wire: Wire) -> None:
    sandbox.clear_requests()
    _every_operation(engine, "online")
    assert not sandbox.requests  # local operations never wait for the network
    report = engine.sync()
    assert report.complete and report.sent >= 7
    _assert_server_matches(engine, sandbox, "online")
    assert all(r.headers.get("accept") == "application/json" for r in sandbox.requests)
    calls = wire.calls()
    assert calls["create"] == 2 and calls["delete"] == 1
    assert {kind: calls[kind] for kind in wire.timer_calls(1, 2)} == wire.timer_calls(starts=1, stops=2)


def test_offline_operations_wait_and_reach_the_server_once_when_back(
    engine: Engine, sandbox: Sandbox, wire: Wire
) -> None:
    sandbox.stop()
    _every_operation(engine, "offline")
    report = engine.sync()
    assert not report.complete and report.sent == 0 and report.status.offline
    assert engine.sync().status.pending_ops == report.pending  # still queued, nothing lost
    sandbox.start()
    sandbox.clear_requests()
    _sync_until_clean(engine)
    _assert_server_matches(engine, sandbox, "offline")
    assert wire.calls()["create"] == 2
    assert not engine.status().offline


def test_throttled_sync_pauses_sends_nothing_meanwhile_and_resumes(
    engine: Engine, sandbox: Sandbox, wire: Wire
) -> None:
    _every_operation(engine, "throttled")
    # Harvest's throttle answer (v1: 503, v2: 429), half-way through the queue.
    sandbox.faults.add(wire.throttle(1, "update", times=1))
    report = engine.sync()
    assert report.status.throttled_until is not None and report.pending > 0 and report.sent > 0
    seen = len(sandbox.requests)
    assert engine.sync().sent == 0 and len(sandbox.requests) == seen  # no call during the lockout
    _sync_until_clean(engine)
    assert [r.status for r in sandbox.requests].count(wire.throttle_status) == 1
    assert engine.status().throttled_until is None
    _assert_server_matches(engine, sandbox, "throttled")


def test_wrong_credentials_pause_the_outbox_until_a_good_login(
    engine: Engine, engine_for: EngineFactory, sandbox: Sandbox
) -> None:
    _every_operation(engine, "auth")
    wrong = engine_for(secret="wrong-secret")
    report = wrong.sync()
    assert report.status.auth_failed and report.sent == 0 and report.pending > 0
    assert all(r.status == 401 for r in sandbox.requests[-1:])
    fixed = engine_for()
    _sync_until_clean(fixed)
    assert not fixed.status().auth_failed
    _assert_server_matches(fixed, sandbox, "auth")


@pytest.mark.parametrize(("api", "data_format"), [("v1", "json"), ("v1", "xml"), ("v2", "json")])
def test_a_create_whose_reply_was_lost_is_found_not_sent_again(
    data_format: str, engine_for: EngineFactory, sandbox: Sandbox, wire: Wire
) -> None:
    engine = engine_for(data_format=data_format)
    engine.sign_in()
    today = engine.today()
    sandbox.faults.add(wire.drop_reply("create"))
    engine.create(EntryDraft(PROJECT, TASK, today, "lost reply", Decimal("0.75")))
    assert engine.sync().status.offline
    _sync_until_clean(engine)
    assert [e.notes for e in sandbox.entries("admin")].count("lost reply") == 1
    assert cache_view(engine, today) == server_view(sandbox.entries("admin"), today)


def test_a_timer_start_whose_reply_was_lost_is_not_toggled_twice(
    engine: Engine, sandbox: Sandbox, wire: Wire
) -> None:
    today = engine.today()
    first = engine.snapshot(today).entries[0].entry.id
    sandbox.faults.add(wire.drop_reply("timer"))
    engine.start(first)
    engine.sync()
    _sync_until_clean(engine)
    (running,) = [e for e in sandbox.entries("admin") if e.running]
    assert running.id == first
    assert engine.snapshot(today).running is not None


def test_an_entry_deleted_elsewhere_becomes_a_conflict_that_blocks_nothing_else(
    engine: Engine, sandbox: Sandbox, wire: Wire
) -> None:
    today = engine.today()
    gone = engine.snapshot(today).entries[0].entry.id
    wire.delete_elsewhere(gone)
    engine.edit(gone, EntryChanges(notes="edited after it was deleted"))
    engine.create(EntryDraft(PROJECT, TASK, today, "unrelated", Decimal("1")))
    report = engine.sync()
    assert report.conflicts == 1 and report.pending == 0
    assert "unrelated" in [e.notes for e in sandbox.entries("admin")]
    conflict = engine.snapshot(today).entry(gone)
    assert conflict is not None and conflict.state == "conflict" and conflict.message
    assert conflict.op_id is not None

    engine.resolve_conflict(conflict.op_id, "recreate")
    assert engine.sync().complete
    assert [e.notes for e in sandbox.entries("admin")].count("edited after it was deleted") == 1


def test_a_refused_change_fails_visibly_and_can_be_discarded(engine: Engine, sandbox: Sandbox) -> None:
    today = engine.today()
    engine.create(EntryDraft(PROJECT, 9999, today, "no such task", Decimal("1")))
    engine.create(EntryDraft(PROJECT, TASK, today, "fine", Decimal("1")))
    report = engine.sync()
    assert report.failed == 1 and report.pending == 0
    (op,) = engine.outbox()
    assert op.state == "failed" and op.last_error
    assert "fine" in [e.notes for e in sandbox.entries("admin")]
    engine.resolve_conflict(op.op_id, "discard")
    assert engine.status().is_clean and "no such task" not in [
        le.entry.notes for le in engine.snapshot(today).entries
    ]


def test_refresh_keeps_pending_local_fields_and_takes_the_servers_others(
    engine: Engine, sandbox: Sandbox, wire: Wire
) -> None:
    today = engine.today()
    target = engine.snapshot(today).entries[0].entry
    engine.edit(target.id, EntryChanges(notes="local notes win"))
    wire.update_elsewhere(target.id, hours="3.5", notes="web notes")
    merged = engine.refresh_day(today).entry(target.id)
    assert (
        merged is not None
        and merged.entry.notes == "local notes win"
        and merged.entry.hours == Decimal("3.5")
    )
    assert merged.state == "pending"
    assert engine.sync().complete
    (server,) = [e for e in sandbox.entries("admin") if e.id == target.id]
    assert (server.notes, server.hours) == ("local notes win", Decimal("3.5"))


def test_local_ids_are_rewritten_for_later_operations(engine: Engine, sandbox: Sandbox) -> None:
    today = engine.today()
    sandbox.stop()
    local = engine.start_new(EntryDraft(PROJECT, TASK, today, "offline timer")).running
    assert local is not None and local.entry.id < 0
    engine.stop(local.entry.id)
    engine.edit(local.entry.id, EntryChanges(notes="offline timer, renamed"))
    sandbox.start()
    assert engine.sync().complete
    server_id = engine.server_id(local.entry.id)
    assert server_id > 0
    (server,) = [e for e in sandbox.entries("admin") if e.id == server_id]
    assert server.notes == "offline timer, renamed" and not server.running


def test_a_timer_started_while_offline_keeps_the_locally_measured_hours(
    engine_for: EngineFactory, sandbox: Sandbox
) -> None:
    clock = [dt.datetime.now(dt.UTC), 1000.0]
    engine = engine_for(clock=lambda: clock[0], monotonic=lambda: clock[1])
    engine.sign_in()
    today = engine.today()
    sandbox.stop()
    local = engine.start_new(EntryDraft(PROJECT, TASK, today, "worked offline")).running
    assert local is not None
    clock[0] += dt.timedelta(minutes=90)
    clock[1] += 90 * 60
    engine.stop(local.entry.id)
    sandbox.start()
    _sync_until_clean(engine)
    (server,) = [e for e in sandbox.entries("admin") if e.notes == "worked offline"]
    assert server.hours == Decimal("1.50") and not server.running


def test_timestamp_accounts_map_the_new_entry_harvest_starts(
    engine_for: EngineFactory, sandbox: Sandbox
) -> None:
    engine = engine_for("timestamp")
    engine.sign_in()
    today = engine.today()
    source = engine.refresh_day(today).entries[0].entry
    started = engine.start(source.id).running
    assert started is not None and started.entry.id < 0
    assert engine.sync().complete
    (server_running,) = [e for e in sandbox.entries("timestamp") if e.running]
    assert server_running.id != source.id and engine.server_id(started.entry.id) == server_running.id
    snap = engine.snapshot(today)
    assert snap.running is not None and snap.running.entry.id == server_running.id
    assert cache_view(engine, today) == server_view(sandbox.entries("timestamp"), today)


def test_edits_of_project_task_and_date_reach_the_server_and_move_the_entry(
    engine: Engine, sandbox: Sandbox
) -> None:
    today = engine.today()
    yesterday = today - dt.timedelta(days=1)
    target = engine.snapshot(today).entries[0].entry.id
    moved = engine.edit(target, EntryChanges(project_id=2003, task_id=3005, spent_on=yesterday))
    assert moved.date == yesterday and moved.entry(target) is not None
    assert engine.snapshot(today).entry(target) is None
    assert engine.sync().complete
    (server,) = [e for e in sandbox.entries("admin") if e.id == target]
    assert (server.project_id, server.task_id, server.spent_at) == (2003, 3005, yesterday)
    entry = engine.snapshot(yesterday).entry(target)
    assert entry is not None and entry.entry.project_name == "Annual Report" and entry.state == "synced"


def test_timestamp_accounts_create_entries_from_start_and_end_times(
    engine_for: EngineFactory, sandbox: Sandbox
) -> None:
    engine = engine_for("timestamp")
    engine.sign_in()
    today = engine.today()
    engine.refresh_day(today)
    draft = EntryDraft(2011, 3011, today, "morning bake", started_at="6:00am", ended_at="7:30am")
    assert engine.create(draft).entries[-1].entry.hours == Decimal("1.50")
    assert engine.sync().complete
    (server,) = [e for e in sandbox.entries("timestamp") if e.notes == "morning bake"]
    assert (server.started_at, server.ended_at, server.hours) == (dt.time(6), dt.time(7, 30), Decimal("1.50"))


def test_refresh_running_mirrors_a_timer_started_and_stopped_elsewhere(engine: Engine, wire: Wire) -> None:
    today = engine.today()
    target = engine.snapshot(today).entries[0].entry.id
    wire.start_elsewhere(target)
    running = engine.refresh_running().running
    assert running is not None and running.entry.id == target
    wire.stop_elsewhere(target)
    assert engine.refresh_running().running is None


@pytest.mark.parametrize("failure", ["offline", "throttled", "wrong credentials"])
def test_a_refresh_that_cannot_reach_harvest_keeps_the_cache_and_says_why(
    failure: str, engine: Engine, engine_for: EngineFactory, sandbox: Sandbox, wire: Wire
) -> None:
    today = engine.today()
    before = engine.snapshot(today).entries
    if failure == "offline":
        sandbox.stop()
    elif failure == "throttled":
        sandbox.faults.add(wire.throttle(30, times=1))
    else:
        engine = engine_for(secret="wrong-secret")
    expected = {"offline": NetworkError, "throttled": ThrottledError, "wrong credentials": AuthError}[failure]
    with pytest.raises(expected):
        engine.refresh_day(today)
    calls = len(sandbox.requests)
    with pytest.raises(expected):
        engine.refresh_running()
    if failure == "throttled":
        assert len(sandbox.requests) == calls  # not even tried during the lockout
    status = engine.status()
    assert (status.offline, status.throttled_until is not None, status.auth_failed) == (
        failure == "offline",
        failure == "throttled",
        failure == "wrong credentials",
    )
    assert status.last_error
    assert engine.snapshot(today).entries == before


def test_a_locked_entry_changed_by_a_non_admin_becomes_a_conflict(
    engine_for: EngineFactory, sandbox: Sandbox
) -> None:
    engine = engine_for("member")
    engine.sign_in()
    locked_day = engine.today() - dt.timedelta(days=7)
    entries = engine.refresh_day(locked_day).entries
    while not entries:  # the seeded locked week has weekdays with entries
        locked_day -= dt.timedelta(days=1)
        entries = engine.refresh_day(locked_day).entries
    target = entries[0].entry
    assert target.is_locked
    engine.edit(target.id, EntryChanges(notes="too late"))
    report = engine.sync(refresh=())
    assert report.conflicts == 1
    conflict = engine.snapshot(locked_day).entry(target.id)
    assert conflict is not None and conflict.state == "conflict" and "locked" in (conflict.message or "")
    assert conflict.op_id is not None
    engine.resolve_conflict(conflict.op_id, "discard")
    assert engine.sync().complete
    restored = engine.snapshot(locked_day).entry(target.id)
    assert restored is not None and restored.entry.notes == target.notes and restored.state == "synced"


def test_a_timer_whose_start_reached_harvest_late_still_counts_the_offline_time(
    engine_for: EngineFactory, sandbox: Sandbox
) -> None:
    clock = [dt.datetime.now(dt.UTC), 1000.0]
    engine = engine_for(clock=lambda: clock[0], monotonic=lambda: clock[1])
    engine.sign_in()
    today = engine.today()
    sandbox.stop()
    local = engine.start_new(EntryDraft(PROJECT, TASK, today, "started on the train")).running
    assert local is not None
    clock[0] += dt.timedelta(minutes=90)
    clock[1] += 90 * 60
    sandbox.start()
    assert engine.sync().complete  # Harvest's timer starts only now
    clock[0] += dt.timedelta(minutes=30)
    clock[1] += 30 * 60
    snap = engine.snapshot(today)
    assert snap.running is not None and snap.running.entry.id > 0
    assert snap.running_seconds(clock[1]) == 120 * 60  # the refresh did not reset it to Harvest's 0:00
    engine.stop(snap.running.entry.id)
    _sync_until_clean(engine)
    (server,) = [e for e in sandbox.entries("admin") if e.notes == "started on the train"]
    assert server.hours == Decimal("2.00") and not server.running
    stopped = engine.snapshot(today).entry(server.id)
    assert stopped is not None and stopped.entry.hours == Decimal("2.00")


class _CrashAfterCreate:
    """A real client, with a bug (or Ctrl-C) striking right after Harvest saved a create."""

    def create(self, draft: EntryDraft) -> TimerResult:
        super().create(draft)  # type: ignore[misc]
        raise KeyboardInterrupt


class _CrashAfterCreateV1(_CrashAfterCreate, V1Backend):
    pass


class _CrashAfterCreateV2(_CrashAfterCreate, V2Backend):
    pass


def test_an_interruption_after_harvest_saved_a_create_neither_loses_nor_duplicates_it(
    engine: Engine, engine_for: EngineFactory, sandbox: Sandbox, api: Api
) -> None:
    today = engine.today()
    engine.create(EntryDraft(PROJECT, TASK, today, "interrupted", Decimal("1")))
    broken = engine_for(backend_type=_CrashAfterCreateV1 if api == "v1" else _CrashAfterCreateV2)
    with pytest.raises(KeyboardInterrupt):
        broken.sync()
    (op,) = engine.outbox()
    assert op.state == "pending" and op.last_error == "interrupted while sending"
    assert engine.sync().complete
    assert [e.notes for e in sandbox.entries("admin")].count("interrupted") == 1


def test_discarding_a_timestamp_restart_also_removes_the_entry_it_would_have_started(
    engine_for: EngineFactory, sandbox: Sandbox, wire: Wire
) -> None:
    engine = engine_for("timestamp")
    engine.sign_in()
    today = engine.today()
    source = engine.refresh_day(today).entries[0].entry
    wire.delete_elsewhere(source.id, user="timestamp")
    started = engine.start(source.id).running
    assert started is not None and started.entry.id < 0
    assert engine.sync(refresh=()).conflicts == 1
    (op,) = engine.outbox()
    engine.resolve_conflict(op.op_id, "discard")
    assert engine.sync().complete
    snap = engine.snapshot(today)
    assert snap.running is None and all(le.entry.id > 0 for le in snap.entries)
    assert cache_view(engine, today) == server_view(sandbox.entries("timestamp"), today)


def test_asking_for_the_running_timer_does_not_stop_one_still_queued(
    engine: Engine, sandbox: Sandbox
) -> None:
    today = engine.today()
    sandbox.stop()
    engine.start_new(EntryDraft(PROJECT, TASK, today, "queued timer"))
    sandbox.start()
    snap = engine.refresh_running()  # Harvest knows of no timer yet: ours is still in the outbox
    assert snap.running is not None and snap.running.entry.notes == "queued timer"
    assert engine.sync().complete
    (server,) = [e for e in sandbox.entries("admin") if e.notes == "queued timer"]
    assert server.running


def test_a_lost_timestamp_create_is_found_whatever_clock_format_the_times_came_back_in(
    engine_for: EngineFactory, sandbox: Sandbox, wire: Wire
) -> None:
    engine = engine_for("timestamp")
    engine.sign_in()
    today = engine.today()
    sandbox.faults.add(wire.drop_reply("create"))
    engine.create(EntryDraft(2011, 3011, today, "night shift", started_at="06:00", ended_at="07:30"))
    assert engine.sync().status.offline
    _sync_until_clean(engine)
    (server,) = [e for e in sandbox.entries("timestamp") if e.notes == "night shift"]
    assert server.hours == Decimal("1.50")


def test_a_lost_timestamp_restart_is_found_not_started_twice(
    engine_for: EngineFactory, sandbox: Sandbox, wire: Wire
) -> None:
    engine = engine_for("timestamp")
    engine.sign_in()
    today = engine.today()
    source = engine.refresh_day(today).entries[0].entry
    before = len(sandbox.entries("timestamp"))
    sandbox.faults.add(wire.drop_reply("timer"))
    engine.start(source.id)
    assert engine.sync().status.offline
    _sync_until_clean(engine)
    assert len(sandbox.entries("timestamp")) == before + 1  # one new entry, not two
    (running,) = [e for e in sandbox.entries("timestamp") if e.running]
    snap = engine.snapshot(today)
    assert snap.running is not None and snap.running.entry.id == running.id
    assert cache_view(engine, today) == server_view(sandbox.entries("timestamp"), today)


@pytest.mark.parametrize("api", ["v1"])  # XML is v1's alone
def test_every_operation_works_over_xml_too(engine_for: EngineFactory, sandbox: Sandbox) -> None:
    engine = engine_for(data_format="xml")
    engine.sign_in()
    engine.refresh_day(engine.today())
    sandbox.clear_requests()
    _every_operation(engine, "xml")
    assert engine.sync().complete
    _assert_server_matches(engine, sandbox, "xml")
    assert all(r.headers.get("accept") == "application/xml" for r in sandbox.requests)


def test_a_new_session_acts_for_the_user_read_today_and_reads_it_again_after_a_day(
    engine_for: EngineFactory, sandbox: Sandbox, wire: Wire, clocks: Clocks
) -> None:
    def asked() -> Counter[str]:
        return Counter(r.path for r in sandbox.requests if r.path in WHO_AM_I[wire.api])

    engine_for(clock=clocks.now, monotonic=clocks.monotonic).sign_in()
    once = Counter(WHO_AM_I[wire.api])
    assert asked() == once

    # Each command-line call is a new session: the user read at sign-in serves it (v2 creates and
    # reads by user id and timer mode, which cost two calls to ask).
    later = engine_for(clock=clocks.now, monotonic=clocks.monotonic)
    later.create(EntryDraft(PROJECT, TASK, later.today(), "new session", Decimal("0.5")))
    assert later.sync().complete
    assert asked() == once

    clocks.advance(2 * 24 * 3600)  # a day on, time zone and timer mode are asked again, once
    next_week = engine_for(clock=clocks.now, monotonic=clocks.monotonic)
    next_week.create(EntryDraft(PROJECT, TASK, next_week.today(), "two days on", Decimal("0.5")))
    assert next_week.sync().complete
    assert next_week.sync().complete
    assert asked() == once + once
    assert {"new session", "two days on"} <= {e.notes for e in sandbox.entries("admin")}
