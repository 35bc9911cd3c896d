"""Settings change what the window shows; signing out asks first and forgets the secret."""

from __future__ import annotations

import json

from PySide6.QtWidgets import QDialogButtonBox, QMessageBox

from harvest_widget.gui.entry_table_model import COL_HOURS
from tests.gui.conftest import WAIT_MS


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


def test_sign_out_asks_then_forgets_the_secret_and_offers_sign_in(qtbot, shell, memory_keyring, monkeypatch):
    asked = []

    def answer_yes(parent, title, text, buttons, default):
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", answer_yes)
    assert memory_keyring.store
    shell.sign_out()
    assert asked and "Sign out" in asked[0]
    qtbot.waitUntil(lambda: shell.sign_in_dialog is not None, timeout=WAIT_MS)
    assert memory_keyring.store == {}
    assert not shell.window.isVisible()


def test_sign_out_can_be_cancelled(shell, memory_keyring, monkeypatch):
    monkeypatch.setattr(QMessageBox, "question", lambda *args: QMessageBox.StandardButton.Cancel)
    shell.sign_out()
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
