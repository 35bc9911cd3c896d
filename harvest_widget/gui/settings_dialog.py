"""Preferences: data format, hours display, refresh interval, notifications, start at login; the
log folder; and signing out."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QWidget,
)

from harvest_widget.core.account import HoursFormat
from harvest_widget.settings import MIN_REFRESH_SECONDS, Settings


class SettingsDialog(QDialog):
    """Emits `saved(Settings)` or `sign_out_requested()` (the shell then asks `SignOutQuestion`);
    never writes anything itself."""

    saved = Signal(object)
    sign_out_requested = Signal()

    def __init__(
        self, settings: Settings, parent: QWidget | None = None, *, log_dir: Path | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self._settings = settings
        self.data_format = QComboBox(self)
        self.data_format.addItem("JSON", "json")
        self.data_format.addItem("XML", "xml")
        self.data_format.setCurrentIndex(max(0, self.data_format.findData(settings.data_format)))
        self.hours_format = QComboBox(self)
        self.hours_format.addItem("As my Harvest account shows them", None)
        self.hours_format.addItem("Decimal (1.50)", HoursFormat.DECIMAL.value)
        self.hours_format.addItem("Hours and minutes (1:30)", HoursFormat.HOURS_MINUTES.value)
        current = settings.hours_format.value if settings.hours_format else None
        self.hours_format.setCurrentIndex(max(0, self.hours_format.findData(current)))
        self.refresh_minutes = QSpinBox(self)
        self.refresh_minutes.setRange(MIN_REFRESH_SECONDS // 60, 120)
        self.refresh_minutes.setSuffix(" min")
        self.refresh_minutes.setValue(max(1, settings.refresh_interval_seconds // 60))
        self.notifications = QCheckBox("Tell me when a change cannot be synced", self)
        self.notifications.setChecked(settings.notifications)
        self.start_at_login = QCheckBox("Start in the tray when I log in", self)
        self.start_at_login.setChecked(settings.start_at_login)
        self.open_log_button = QPushButton("Open log folder", self)
        self.open_log_button.setToolTip("The log helps when something went wrong; it never holds passwords")
        self.open_log_button.setVisible(log_dir is not None)
        if log_dir is not None:
            self.open_log_button.clicked.connect(
                lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(log_dir)))
            )
        self.sign_out_button = QPushButton("Sign out…", self)
        self.sign_out_button.setToolTip(f"Forget the sign-in for {settings.email or 'this account'}")
        self.sign_out_button.clicked.connect(self._on_sign_out)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self._on_save)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Data format", self.data_format)
        form.addRow("Show hours", self.hours_format)
        form.addRow("Refresh every", self.refresh_minutes)
        form.addRow("", self.notifications)
        form.addRow("", self.start_at_login)
        form.addRow("Account", self.sign_out_button)
        form.addRow("Problems", self.open_log_button)
        form.addRow(buttons)

    def edited(self) -> Settings:
        hours = self.hours_format.currentData()
        return self._settings.replace(
            data_format=self.data_format.currentData(),
            hours_format=hours,
            refresh_interval_seconds=self.refresh_minutes.value() * 60,
            notifications=self.notifications.isChecked(),
            start_at_login=self.start_at_login.isChecked(),
        )

    def _on_save(self) -> None:
        self.saved.emit(self.edited())
        self.accept()

    def _on_sign_out(self) -> None:
        self.reject()
        self.sign_out_requested.emit()


class SignOutChoice(Enum):
    SIGN_OUT = "sign out"  # nothing was waiting to be sent
    DISCARD = "sign out and discard"  # the unsynced changes are dropped first
    SYNC_NOW = "sync now"  # stay signed in and send them
    CANCEL = "cancel"


class SignOutQuestion(QMessageBox):
    """Asks before signing out. With changes not on Harvest yet it says how many and that signing
    out discards them, and offers to sync them first. Emits `chosen(SignOutChoice)` once answered."""

    chosen = Signal(object)

    def __init__(self, unsynced_changes: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sign out")
        self._choices: dict[object, SignOutChoice] = {}
        if unsynced_changes:
            self.setIcon(QMessageBox.Icon.Warning)
            self.setText(
                f"{unsynced_changes} change{'s have' if unsynced_changes != 1 else ' has'} not reached Harvest yet."
            )
            self.setInformativeText(
                "Signing out discards them; sync now to send them first. Your password or token is "
                "removed from the keyring either way."
            )
            self._add("Sync now", QMessageBox.ButtonRole.AcceptRole, SignOutChoice.SYNC_NOW)
            self._add("Sign out and discard", QMessageBox.ButtonRole.DestructiveRole, SignOutChoice.DISCARD)
        else:
            self.setIcon(QMessageBox.Icon.Question)
            self.setText("Sign out of Harvest on this computer?")
            self.setInformativeText("Your password or token is removed from the keyring.")
            self._add("Sign out", QMessageBox.ButtonRole.AcceptRole, SignOutChoice.SIGN_OUT)
        cancel = self.addButton(QMessageBox.StandardButton.Cancel)
        self._choices[cancel] = SignOutChoice.CANCEL
        self.setDefaultButton(cancel)
        self.setEscapeButton(cancel)
        self.buttonClicked.connect(lambda button: self.chosen.emit(self._choices[button]))

    def _add(self, text: str, role: QMessageBox.ButtonRole, choice: SignOutChoice) -> None:
        self._choices[self.addButton(text, role)] = choice

    def button_for(self, choice: SignOutChoice) -> QPushButton:
        """The button that answers `choice` (for tests and the self-test)."""
        button = next(b for b, c in self._choices.items() if c is choice)
        assert isinstance(button, QPushButton)
        return button
