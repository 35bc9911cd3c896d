"""Settings change what the window shows; signing out asks first (offering to sync or discard what
is not on Harvest yet) and forgets the secret."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from harvest_widget.gui.entry_table_model import COL_HOURS
from harvest_widget.gui.settings_dialog import SignOutChoice
from harvest_widget.store.database import Store
from tests.gui.conftest import WAIT_MS, wait_view


def test_hours_display_setting_switches_the_table_to_hours_and_minutes(qtbot, shell, home):
    shell.open_settings()
    dialog = shell.settings_dialog
    dialog.hours_format.setCurrentIndex(dialog.hours_format.findData("hours_minutes"))
    dialog.refresh_minutes.setValue(10)
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save).click()
    qtbot.waitUntil(
        lambda: ":" in shell.window.model.data(shell.window.model.index(0, COL_HOURS)), timeout=WAIT_MS
    )
    saved = json.loads(home.settings_file.read_text())
    assert saved["hours_format"] == "hours_minutes"
    assert saved["refresh_interval_seconds"] == 600


def add_entry_while_offline(qtbot, shell, sandbox, notes):
    """One change that cannot reach Harvest: the sandbox is down."""
    window = shell.window
    sandbox.stop()
    qtbot.keyClicks(window.quick_entry.picker, "mobile dev")
    qtbot.keyClicks(window.quick_entry.notes, notes)
    qtbot.keyClicks(window.quick_entry.hours, "30m")
    qtbot.keyClick(window.quick_entry.hours, Qt.Key.Key_Return)
    wait_view(
        qtbot, shell, lambda v: v.shown.status.offline and v.shown.status.pending_ops == 1, timeout=20_000
    )


def answer_sign_out(qtbot, shell, choice):
    question = shell.sign_out_question
    assert question is not None and question.isVisible()
    text = f"{question.text()} {question.informativeText()}"
    qtbot.mouseClick(question.button_for(choice), Qt.MouseButton.LeftButton)
    return text


def unsent_in_cache(home):
    with Store(home.cache_db) as store, store.reading() as conn:
        return conn.execute("SELECT count(*) FROM outbox").fetchone()[0]


def test_sign_out_asks_then_forgets_the_secret_and_offers_sign_in(qtbot, shell, memory_keyring):
    assert memory_keyring.store
    shell.sign_out()
    text = answer_sign_out(qtbot, shell, SignOutChoice.SIGN_OUT)
    assert "Sign out" in text and "not reached Harvest" not in text
    qtbot.waitUntil(lambda: shell.sign_in_dialog is not None, timeout=WAIT_MS)
    assert memory_keyring.store == {}
    assert not shell.window.isVisible()


def test_sign_out_can_be_cancelled(qtbot, shell, memory_keyring):
    shell.sign_out()
    answer_sign_out(qtbot, shell, SignOutChoice.CANCEL)
    assert shell.sign_out_question is None
    assert memory_keyring.store
    assert shell.sign_in_dialog is None


def test_sign_out_from_settings_says_how_many_changes_are_not_on_harvest_and_can_discard_them(
    qtbot, shell, sandbox, home, memory_keyring
):
    add_entry_while_offline(qtbot, shell, sandbox, "Never sent")
    shell.open_settings()
    qtbot.mouseClick(shell.settings_dialog.sign_out_button, Qt.MouseButton.LeftButton)
    assert not shell.settings_dialog.isVisible()
    text = answer_sign_out(qtbot, shell, SignOutChoice.DISCARD)
    assert "1 change has not reached Harvest yet" in text and "discards" in text
    qtbot.waitUntil(lambda: shell.sign_in_dialog is not None, timeout=WAIT_MS)
    assert memory_keyring.store == {}
    assert unsent_in_cache(home) == 0
    sandbox.start()
    assert not any(e.notes == "Never sent" for e in sandbox.entries("admin"))


def test_sync_now_instead_of_signing_out_sends_the_changes_and_stays_signed_in(
    qtbot, shell, sandbox, memory_keyring
):
    add_entry_while_offline(qtbot, shell, sandbox, "Sent before leaving")
    shell.tray.sign_out_requested.emit()  # the tray menu's "Sign out…"
    sandbox.start()
    answer_sign_out(qtbot, shell, SignOutChoice.SYNC_NOW)
    wait_view(qtbot, shell, lambda v: v.shown.status.is_clean and not v.shown.status.offline, timeout=20_000)
    assert sum(e.notes == "Sent before leaving" for e in sandbox.entries("admin")) == 1
    assert memory_keyring.store
    assert shell.sign_in_dialog is None


def test_switching_to_xml_talks_to_harvest_in_xml(qtbot, shell, sandbox):
    shell.open_settings()
    dialog = shell.settings_dialog
    dialog.data_format.setCurrentIndex(dialog.data_format.findData("xml"))
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save).click()
    qtbot.waitUntil(lambda: shell._settings.data_format == "xml", timeout=WAIT_MS)
    sandbox.clear_requests()
    shell.window.sync_action.trigger()
    qtbot.waitUntil(lambda: any(r.path.startswith("/daily") for r in sandbox.requests), timeout=WAIT_MS)
    daily = next(r for r in sandbox.requests if r.path.startswith("/daily"))
    assert "xml" in daily.headers.get("accept", "")


def test_start_at_login_writes_the_autostart_entry_inside_the_home(qtbot, shell, home):
    shell.open_settings()
    dialog = shell.settings_dialog
    dialog.start_at_login.setChecked(True)
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save).click()
    autostart = home.config_dir.parent / "autostart"
    qtbot.waitUntil(lambda: autostart.exists() and any(autostart.iterdir()), timeout=WAIT_MS)
    assert "--hidden" in next(autostart.iterdir()).read_text()
