"""Local operations: one transaction each, visible at once, queued for the server, no network."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from harvest_widget.core.account import TimerMode, WhoAmI
from harvest_widget.core.timesheet import EntryChanges, EntryDraft
from harvest_widget.store import Store, cache
from harvest_widget.sync import Engine
from harvest_widget.sync.engine import EngineError, UnknownEntryError
from tests.sync.conftest import Clocks, NoNetwork

DAY = dt.date(2026, 11, 28)


def _engine(store: Store, clocks: Clocks, mode: TimerMode = TimerMode.DURATION) -> Engine:
    with store.transaction() as conn:
        cache.put_whoami(conn, "acct", WhoAmI(user_id=1, email="a@b.c", timer_mode=mode), clocks.now())
    return Engine(store, NoNetwork(), account_key="acct", clock=clocks.now, monotonic=clocks.monotonic)


def _draft(notes: str = "work", hours: str | None = "1.5") -> EntryDraft:
    return EntryDraft(
        project_id=10, task_id=20, spent_on=DAY, notes=notes, hours=None if hours is None else Decimal(hours)
    )


def test_create_shows_a_local_entry_at_once_and_queues_one_op(store: Store, clocks: Clocks) -> None:
    engine = _engine(store, clocks)
    snap = engine.create(_draft())
    (local,) = snap.entries
    assert local.entry.id < 0 and local.state == "pending" and local.entry.hours == Decimal("1.5")
    assert snap.total_hours == Decimal("1.5") and snap.status.pending_ops == 1
    assert [op.kind for op in engine.outbox()] == ["create"]


def test_running_time_is_server_hours_plus_monotonic_elapsed(store: Store, clocks: Clocks) -> None:
    engine = _engine(store, clocks)
    snap = engine.start_new(_draft(hours=None))
    assert snap.running is not None and snap.running_seconds(clocks.mono) == 0
    clocks.advance(90)
    assert snap.running_seconds(clocks.mono) == 90
    later = engine.snapshot(DAY)
    assert later.running is not None and later.running_seconds(clocks.mono) == 90
    # The wall clock jumps (NTP, a manual change), forward or back: running time does not.
    clocks.wall += dt.timedelta(hours=1)
    assert engine.snapshot(DAY).running_seconds(clocks.mono) == 90
    clocks.wall -= dt.timedelta(hours=3)
    assert engine.snapshot(DAY).running_seconds(clocks.mono) == 90


def test_after_a_reboot_running_time_falls_back_to_the_wall_clock(store: Store, clocks: Clocks) -> None:
    engine = _engine(store, clocks)
    engine.start_new(_draft(hours=None))
    clocks.wall += dt.timedelta(minutes=10)
    clocks.mono = 12.0  # a new boot: the monotonic clock starts again near zero
    snap = engine.snapshot(DAY)
    assert snap.running_seconds(clocks.mono) == 600


def test_starting_a_timer_stops_the_other_in_the_cache_with_its_hours(store: Store, clocks: Clocks) -> None:
    engine = _engine(store, clocks)
    first = engine.start_new(_draft("first", hours=None)).running
    assert first is not None
    clocks.advance(30 * 60)
    snap = engine.start_new(_draft("second", hours=None))
    assert snap.running is not None and snap.running.entry.notes == "second"
    stopped = snap.entry(first.entry.id)
    assert stopped is not None and not stopped.entry.is_running and stopped.entry.hours == Decimal("0.50")
    assert [e.entry.is_running for e in snap.entries].count(True) == 1


def test_stop_records_the_measured_hours(store: Store, clocks: Clocks) -> None:
    engine = _engine(store, clocks)
    running = engine.start_new(_draft(hours=None)).running
    assert running is not None
    clocks.advance(45 * 60)
    snap = engine.stop(running.entry.id)
    assert snap.running is None and snap.entries[0].entry.hours == Decimal("0.75")
    assert [op.kind for op in engine.outbox()] == ["create", "stop"]


def test_edit_of_an_unsent_entry_folds_into_its_create(store: Store, clocks: Clocks) -> None:
    engine = _engine(store, clocks)
    local_id = engine.create(_draft()).entries[0].entry.id
    snap = engine.edit(local_id, EntryChanges(notes="better notes", hours=Decimal("2")))
    assert snap.entries[0].entry.notes == "better notes" and snap.total_hours == Decimal("2")
    (op,) = engine.outbox()
    assert op.kind == "create" and "better notes" in op.summary


def test_edit_moving_an_entry_to_another_day_moves_it_in_the_cache(store: Store, clocks: Clocks) -> None:
    engine = _engine(store, clocks)
    local_id = engine.create(_draft()).entries[0].entry.id
    moved = engine.edit(local_id, EntryChanges(spent_on=DAY - dt.timedelta(days=1)))
    assert moved.date == DAY - dt.timedelta(days=1) and len(moved.entries) == 1
    assert engine.snapshot(DAY).entries == ()


def test_changing_the_hours_of_a_running_timer_is_refused_and_changes_nothing(
    store: Store, clocks: Clocks
) -> None:
    engine = _engine(store, clocks)
    running = engine.start_new(_draft(hours=None)).running
    assert running is not None
    with pytest.raises(EngineError, match="Stop the timer"):
        engine.edit(running.entry.id, EntryChanges(hours=Decimal("3")))
    assert len(engine.outbox()) == 1


def test_deleting_an_entry_the_server_never_saw_forgets_it(store: Store, clocks: Clocks) -> None:
    engine = _engine(store, clocks)
    local_id = engine.create(_draft()).entries[0].entry.id
    engine.edit(local_id, EntryChanges(notes="x"))
    snap = engine.delete(local_id)
    assert snap.entries == () and engine.outbox() == () and snap.status.is_clean


def test_unknown_entries_are_a_clear_error(store: Store, clocks: Clocks) -> None:
    engine = _engine(store, clocks)
    with pytest.raises(UnknownEntryError, match="no entry 42"):
        engine.stop(42)


def test_on_timestamp_accounts_starting_an_entry_starts_a_new_one(store: Store, clocks: Clocks) -> None:
    engine = _engine(store, clocks, TimerMode.TIMESTAMP)
    done = engine.create(EntryDraft(10, 20, DAY, "meeting", started_at="8:00am", ended_at="9:30am"))
    source = done.entries[0].entry
    assert source.hours == Decimal("1.50")
    snap = engine.start(source.id)
    assert snap.running is not None and snap.running.entry.id not in (source.id,)
    assert snap.running.entry.notes == "meeting" and len(snap.entries) == 2
    assert [op.kind for op in engine.outbox()] == ["create", "start"]


def test_suggestions_come_from_the_cache(store: Store, clocks: Clocks) -> None:
    engine = _engine(store, clocks)
    engine.create(_draft("Planning sprint"))
    engine.create(_draft("planning review"))
    engine.create(_draft("Code review"))
    assert set(engine.note_suggestions("plan")) == {"Planning sprint", "planning review"}
    assert [c.notes for c in engine.recent_combinations(limit=2)] == ["Code review", "planning review"]
