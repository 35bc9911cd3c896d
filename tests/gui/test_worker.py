"""The worker thread keeps the GUI thread free, coalesces sync requests and notices wake-ups."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, QTimer

from harvest_widget.gui.entry_table_model import COL_NOTES
from harvest_widget.gui.worker import EngineWorker, user_message
from harvest_widget.sandbox import Fault
from tests.gui.conftest import WAIT_MS, make_shell, wait_view
from tests.memory_keyring import MemoryKeyring

LATENCY_S = 3.0
OPERATIONS = 20  # 18 quick entries and 2 inline edits, each one call of 3 s: the test takes ~70 s
CREATES = OPERATIONS - 2
MAX_GAP_S = 0.25  # a single blocking call would show as a gap of >= 3 s


class Heartbeat:
    """A 10 ms GUI-thread timer that records the longest gap between its ticks."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._beat)
        self.last = time.perf_counter()
        self.max_gap = 0.0
        self.beats = 0

    def _beat(self) -> None:
        now = time.perf_counter()
        self.max_gap = max(self.max_gap, now - self.last)
        self.last = now
        self.beats += 1

    def start(self) -> None:
        self.last = time.perf_counter()
        self.timer.start()


def test_gui_thread_never_blocks_while_operations_sync_through_a_slow_harvest(qtbot, shell, sandbox):
    window = shell.window
    sandbox.faults.add(Fault("latency", seconds=LATENCY_S))
    heartbeat = Heartbeat()
    heartbeat.start()
    started = time.perf_counter()
    first, second = (window.model.local_entry(row).entry.id for row in (0, 1))
    for number in range(CREATES):
        qtbot.keyClicks(window.quick_entry.picker, "mobile dev")
        qtbot.keyClicks(window.quick_entry.notes, f"Slow line {number}")
        qtbot.keyClicks(window.quick_entry.hours, "15m")
        qtbot.keyClick(window.quick_entry.hours, Qt.Key.Key_Return)
    for entry_id, notes in ((first, "Edited while slow"), (second, "Also edited while slow")):
        row = next(
            r for r in range(window.model.rowCount()) if window.model.local_entry(r).entry.id == entry_id
        )
        window.model.setData(window.model.index(row, COL_NOTES), notes)
    window.sync_action.trigger()
    shell.tray.menu.aboutToShow.emit()  # opening the menu asks for a refresh too
    wait_view(
        qtbot,
        shell,
        lambda v: (
            v.shown.status.pending_ops == 0
            and sum(e.entry.notes.startswith("Slow line") for e in v.shown.entries) == CREATES
        ),
        timeout=180_000,
    )
    elapsed = time.perf_counter() - started
    heartbeat.timer.stop()
    server = sandbox.entries("admin")
    assert sum(e.notes.startswith("Slow line") for e in server) == CREATES
    assert {(e.id, e.notes) for e in server} >= {
        (first, "Edited while slow"),
        (second, "Also edited while slow"),
    }
    print(
        f"\n{OPERATIONS} ops with {LATENCY_S} s latency synced in {elapsed:.1f} s; heartbeat max gap {heartbeat.max_gap * 1000:.0f} ms over {heartbeat.beats} beats"
    )
    assert elapsed > 2 * LATENCY_S  # the latency really was in the way
    assert heartbeat.max_gap < MAX_GAP_S


def test_many_sync_requests_while_one_runs_make_one_more_sync(qtbot, shell, sandbox):
    window = shell.window
    sandbox.faults.add(Fault("latency", seconds=1.0, path="/daily"))
    sandbox.clear_requests()
    window.sync_action.trigger()
    qtbot.waitUntil(lambda: "Syncing" in window.status_line.text.text(), timeout=5_000)
    for _ in range(10):
        window.sync_action.trigger()
        shell.tray.menu.aboutToShow.emit()
    qtbot.waitUntil(
        lambda: "Syncing" not in window.status_line.text.text() and len(sandbox.requests) >= 2, timeout=15_000
    )
    qtbot.waitUntil(lambda: "Syncing" not in window.status_line.text.text(), timeout=5_000)
    today = window.current_view().today.date
    daily_reads = [
        r for r in sandbox.requests if r.path == f"/daily/{today.timetuple().tm_yday}/{today.year}"
    ]
    assert len(daily_reads) == 2


class FakeClocks:
    def __init__(self) -> None:
        self.wall = 1_000_000.0
        self.mono = 500.0


def test_a_wall_clock_jump_the_monotonic_clock_missed_means_wake_and_triggers_a_sync(qtbot, monkeypatch):
    clocks = FakeClocks()
    worker = EngineWorker(None, wall_clock=lambda: clocks.wall, monotonic=lambda: clocks.mono)  # type: ignore[arg-type]
    requested: list[int] = []
    monkeypatch.setattr(worker, "_request_sync", requested.append)
    worker._check_wake()  # baseline
    clocks.wall += 20
    clocks.mono += 20
    worker._check_wake()
    assert requested == []
    clocks.wall += 3600  # an hour asleep: the wall clock moved, the monotonic clock did not
    clocks.mono += 20
    worker._check_wake()
    assert requested == [0]


def test_user_messages_are_sentences_not_tracebacks():
    from harvest_widget.api.errors import AuthError, NetworkError

    assert "check them" in user_message(AuthError("401"))
    assert user_message(NetworkError("Harvest cannot be reached; check the connection.")) == (
        "Harvest cannot be reached; check the connection."
    )
    assert "Traceback" not in user_message(RuntimeError("boom"))


SHOWN_WITHIN_S = 1.0


def test_local_operations_show_at_once_while_a_slow_sync_is_in_flight_and_reach_harvest_once(
    qtbot, shell, sandbox
):
    window = shell.window
    idle = next(
        e.entry for e in window.current_view().shown.entries if not (e.entry.is_running or e.entry.is_locked)
    )
    sandbox.faults.add(Fault("latency", seconds=LATENCY_S))
    window.sync_action.trigger()
    qtbot.waitUntil(lambda: "Syncing" in window.status_line.text.text(), timeout=5_000)

    started = time.perf_counter()
    qtbot.keyClicks(window.quick_entry.picker, "mobile dev")
    qtbot.keyClicks(window.quick_entry.notes, "Added mid-sync")
    qtbot.keyClicks(window.quick_entry.hours, "15m")
    qtbot.keyClick(window.quick_entry.hours, Qt.Key.Key_Return)
    added = wait_view(
        qtbot, shell, lambda v: any(e.entry.notes == "Added mid-sync" for e in v.shown.entries), timeout=5_000
    )
    added_after = time.perf_counter() - started
    started = time.perf_counter()
    shell.handle.start_timer(idle.id)
    running = wait_view(
        qtbot,
        shell,
        lambda v: v.today.running is not None and v.today.running.entry.id == idle.id,
        timeout=5_000,
    )
    started_after = time.perf_counter() - started
    print(
        f"\nwith {LATENCY_S} s latency mid-sync: added in {added_after * 1000:.0f} ms, started in {started_after * 1000:.0f} ms"
    )
    assert added.syncing and running.syncing  # the slow sync was still in flight
    assert added_after < SHOWN_WITHIN_S
    assert started_after < SHOWN_WITHIN_S

    sandbox.faults.clear()  # the sync in flight still has its latency; the ones after it are quick
    wait_view(qtbot, shell, lambda v: not v.syncing and v.shown.status.is_clean, timeout=60_000)
    server = sandbox.entries("admin")
    assert sum(e.notes == "Added mid-sync" for e in server) == 1
    assert [e.id for e in server if e.running] == [idle.id]
    creates = [r for r in sandbox.requests if r.method == "POST" and b"Added mid-sync" in r.body]
    assert len(creates) == 1


def test_quit_waits_only_a_bounded_time_for_a_sync_stuck_on_harvest(qtbot, shell, sandbox):
    sandbox.faults.add(Fault("latency", seconds=5.0))
    shell.window.sync_action.trigger()
    qtbot.waitUntil(lambda: "Syncing" in shell.window.status_line.text.text(), timeout=5_000)
    started = time.perf_counter()
    ended = shell.handle.shutdown(timeout_ms=500)
    waited = time.perf_counter() - started
    assert not ended  # the sync thread is still in its Harvest call
    assert waited < 2.0
    sync_thread = shell.handle._sync_thread
    assert sync_thread.wait(30_000)  # the call returns in the end; the thread then stops by itself


class ReadCountingKeyring(MemoryKeyring):
    def __init__(self, store: dict[tuple[str, str], str]) -> None:
        super().__init__()
        self.store = dict(store)
        self.reads = 0

    def get_password(self, service: str, username: str) -> str | None:
        self.reads += 1
        return super().get_password(service, username)


def test_a_restart_paints_the_cached_day_before_the_keyring_and_harvest_then_syncs(
    qtbot, shell, sandbox, home, memory_keyring
):
    notes = {row.entry.notes for row in shell.window.current_view().shown.entries}
    shell.shutdown()
    sandbox.clear_requests()
    keyring = ReadCountingKeyring(memory_keyring.store)
    restarted = make_shell(home, keyring)
    qtbot.addWidget(restarted.window)
    first: list[tuple[set[str], int, int]] = []

    def on_view(view) -> None:
        if not first:
            first.append(
                ({row.entry.notes for row in view.shown.entries}, keyring.reads, len(sandbox.requests))
            )

    restarted.view_shown.connect(on_view)
    try:
        with qtbot.waitSignal(restarted.view_shown, timeout=WAIT_MS):
            restarted.start()
        assert first == [(notes, 0, 0)]  # from the cache alone
        wait_view(
            qtbot, restarted, lambda v: bool(sandbox.requests) and v.shown.status.last_sync_at is not None
        )
        assert keyring.reads > 0
        qtbot.waitUntil(lambda: any(r.path.startswith("/daily") for r in sandbox.requests), timeout=WAIT_MS)
    finally:
        restarted.shutdown()
