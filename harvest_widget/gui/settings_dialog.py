"""Preferences: data format, hours display, refresh interval, notifications, start at login; the
log folder; and signing out."""

from __future__ import annotations

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
    """Emits `saved(Settings)` or `sign_out_confirmed()`; never writes anything itself."""

    saved = Signal(object)
    sign_out_confirmed = Signal()

    def __init__(
        self,
        settings: Settings,
        pending_changes: int,
        parent: QWidget | None = None,
        *,
        log_dir: Path | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self._settings = settings
        self._pending = pending_changes
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
        if confirm_sign_out(self, self._pending):
            self.sign_out_confirmed.emit()
            self.accept()


def confirm_sign_out(parent: QWidget | None, pending_changes: int) -> bool:
    """Ask first; with unsynced changes, say plainly what happens to them."""
    if pending_changes:
        text = (
            f"{pending_changes} change{'s have' if pending_changes != 1 else ' has'} not reached Harvest yet. "
            "They stay on this computer and are sent only after you sign in to this account again. Sign out anyway?"
        )
    else:
        text = "Sign out of Harvest on this computer? Your password or token is removed from the keyring."
    answer = QMessageBox.question(
        parent,
        "Sign out",
        text,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Cancel,
    )
    return answer == QMessageBox.StandardButton.Yes
