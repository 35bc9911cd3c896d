"""What the user sees while Harvest throttles us, while it is unreachable, and when it is back."""

from __future__ import annotations

import re
from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont

from harvest_widget.gui.style import WAITING_COLOR
from harvest_widget.gui.tray_icons import TrayState
from tests.gui.conftest import wait_view

COUNTDOWN = re.compile(r"Harvest asked us to wait (\d+) s")


def countdown(window):
    match = COUNTDOWN.search(window.status_line.text.text())
    return int(match.group(1)) if match else None


def shown_as_waiting(window):
    """The status text in amber and semi-bold, as while Harvest makes us wait or is unreachable."""
    text = window.status_line.text
    return (
        text.palette().color(text.foregroundRole()) == WAITING_COLOR
        and text.font().weight() > QFont.Weight.Normal
    )


def test_throttle_shows_a_live_countdown_then_syncs_by_itself(qtbot, shell, sandbox):
    window = shell.window
    sandbox.set_throttle(1, 5.0)
    synced = window.current_view().shown.status.last_sync_at
    window.sync_action.trigger()  # the one call the window allows
    wait_view(qtbot, shell, lambda v: v.shown.status.last_sync_at != synced)
    window.sync_action.trigger()  # one too many: Harvest answers 503 + Retry-After
    qtbot.waitUntil(lambda: countdown(window) is not None, timeout=15_000)
    first = countdown(window)
    assert shown_as_waiting(window)
    assert shell.tray.state() is TrayState.THROTTLED
    assert "wait" in shell.tray.tooltip_text()
    qtbot.waitUntil(lambda: (countdown(window) or 0) < first, timeout=5_000)  # ticks without new data
    sandbox.set_throttle(100, 15.0)
    synced_before = window.current_view().shown.status.last_sync_at
    wait_view(
        qtbot,
        shell,
        lambda v: v.shown.status.throttled_until is None and v.shown.status.last_sync_at != synced_before,
        timeout=20_000,
    )
    qtbot.waitUntil(lambda: countdown(window) is None, timeout=2_000)
    assert not shown_as_waiting(window)
    assert shell.tray.state() is not TrayState.THROTTLED


def test_offline_changes_wait_and_sync_when_harvest_is_back(qtbot, shell, sandbox):
    window = shell.window
    sandbox.stop()
    qtbot.keyClicks(window.quick_entry.picker, "mobile dev")
    qtbot.keyClicks(window.quick_entry.notes, "Written on the train")
    qtbot.keyClicks(window.quick_entry.hours, "45m")
    qtbot.keyClick(window.quick_entry.hours, Qt.Key.Key_Return)
    view = wait_view(qtbot, shell, lambda v: v.shown.status.offline, timeout=20_000)
    assert view.shown.status.pending_ops >= 1
    assert any(e.entry.notes == "Written on the train" and e.state == "pending" for e in view.shown.entries)
    assert "Offline" in window.status_line.text.text()
    assert shown_as_waiting(window)
    assert shell.tray.state() is TrayState.OFFLINE

    sandbox.start()  # same port: Harvest is reachable again; the worker's retry finds it
    wait_view(
        qtbot, shell, lambda v: not v.shown.status.offline and v.shown.status.pending_ops == 0, timeout=20_000
    )
    assert any(
        e.notes == "Written on the train" and e.hours == Decimal("0.75") for e in sandbox.entries("admin")
    )
    assert "Offline" not in window.status_line.text.text()
    assert not shown_as_waiting(window)
