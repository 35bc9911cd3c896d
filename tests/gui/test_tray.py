"""The tray menu and tooltip against the real sandbox."""

from __future__ import annotations

import os

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from harvest_widget.gui.tray_icons import TrayState
from tests.gui.conftest import WAIT_MS, demo_sign_in, make_shell, wait_view


def open_menu(tray):
    tray.menu.aboutToShow.emit()  # what opening it does: rebuild from the latest view, refresh
    return [a.text() for a in tray.menu.actions() if not a.isSeparator()]


def test_menu_lists_continue_choices_and_the_fixed_actions(shell):
    texts = open_menu(shell.tray)
    assert "Continue" in texts
    continue_index = texts.index("Continue")
    recent = shell.window.current_view().recent
    assert 0 < len(recent) <= 5
    assert len(texts[continue_index + 1 : continue_index + 1 + len(recent)]) == len(recent)
    for label in ("New entry…", "Open timesheet", "Settings…", "Sign out…", "Quit"):
        assert label in texts
    assert any(t.startswith("Sync now (") and "last" in t for t in texts)


def test_continue_starts_a_timer_and_the_menu_offers_stop(qtbot, shell, sandbox):
    tray = shell.tray
    open_menu(tray)
    recent = shell.window.current_view().recent[0]
    continue_actions = tray.menu.actions()
    first_choice = continue_actions[[a.text() for a in continue_actions].index("Continue") + 1]
    first_choice.trigger()
    view = wait_view(qtbot, shell, lambda v: v.today.running is not None)
    assert (view.today.running.entry.project_id, view.today.running.entry.task_id) == (
        recent.project_id,
        recent.task_id,
    )
    assert tray.state() is TrayState.RUNNING
    assert "▶" in tray.tooltip_text() and "Today:" in tray.tooltip_text()
    qtbot.waitUntil(lambda: any(e.running for e in sandbox.entries("admin")), timeout=WAIT_MS)

    texts = open_menu(tray)
    assert texts[0].startswith("▶")
    tray.action("Stop timer").trigger()
    wait_view(qtbot, shell, lambda v: v.today.running is None)
    qtbot.waitUntil(lambda: not any(e.running for e in sandbox.entries("admin")), timeout=WAIT_MS)
    assert "Stop timer" not in open_menu(tray)


def test_left_click_toggles_the_window_and_new_entry_focuses_quick_entry(shell):
    shell.window.hide()
    shell.tray.icon.activated.emit(QSystemTrayIcon.ActivationReason.Trigger)
    assert shell.window.isVisible()
    shell.tray.icon.activated.emit(QSystemTrayIcon.ActivationReason.Trigger)
    assert not shell.window.isVisible()
    open_menu(shell.tray)
    shell.tray.action("New entry").trigger()
    assert shell.window.isVisible()


@pytest.mark.xvfb
def test_tray_icon_shows_in_a_real_system_tray(qtbot, home, memory_keyring, sandbox):
    if os.environ.get("QT_QPA_PLATFORM") != "xcb" or not os.environ.get("TRAY_HOST"):
        pytest.skip("needs Xvfb with a tray host (QT_QPA_PLATFORM=xcb, TRAY_HOST set)")
    qtbot.waitUntil(QSystemTrayIcon.isSystemTrayAvailable, timeout=5000)
    app_shell = make_shell(home, memory_keyring, tray_available=QSystemTrayIcon.isSystemTrayAvailable)
    qtbot.addWidget(app_shell.window)
    try:
        app_shell.start(hidden=True, sign_in=demo_sign_in(sandbox))
        qtbot.waitUntil(app_shell.tray.icon.isVisible, timeout=WAIT_MS)
        qtbot.waitUntil(lambda: app_shell.tray.icon.geometry().width() > 0, timeout=WAIT_MS)
        wait_view(qtbot, app_shell, lambda v: len(v.today.entries) > 0)
        assert "Today:" in app_shell.tray.icon.toolTip()
    finally:
        app_shell.shutdown()


def test_quit_from_the_tray_ends_the_app_while_the_window_and_a_dialog_are_open(qtbot, shell):
    app = QApplication.instance()
    assert shell.window.isVisible()
    shell.open_settings()
    qtbot.waitUntil(lambda: shell.settings_dialog is not None and shell.settings_dialog.isVisible())
    open_menu(shell.tray)
    quit_action = next(a for a in shell.tray.menu.actions() if a.text() == "Quit")
    fail_safe = QTimer()
    fail_safe.setSingleShot(True)
    fail_safe.timeout.connect(lambda: app.exit(1))  # a quit that does nothing would leave the loop running
    fail_safe.start(5_000)
    QTimer.singleShot(0, quit_action.trigger)
    with qtbot.waitSignal(shell.quit_requested, timeout=WAIT_MS):
        code = app.exec()
    fail_safe.stop()
    assert code == 0
