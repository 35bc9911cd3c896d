"""The crash dialog: says that something went wrong, shows the redacted details, offers to copy them.

Imported by `crash.CrashReporter` only when something has crashed (never before the first paint).
"""

from __future__ import annotations

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from harvest_widget.paths import AppPaths


def open_log_folder(paths: AppPaths) -> bool:
    """Show the log folder in the file manager (for Settings and the crash dialog)."""
    paths.log_dir.mkdir(parents=True, exist_ok=True)
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(paths.log_dir)))


class CrashDialog(QDialog):
    """Says that something went wrong, shows the redacted details and offers to copy them."""

    def __init__(self, summary: str, details: str, paths: AppPaths, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Harvest Widget: something went wrong")
        self.details = details
        self._paths = paths
        message = QLabel(
            f"<b>{summary}</b><br>The widget keeps running and your tracked time is saved. "
            "If it misbehaves, quit and start it again. To report the problem, copy the details "
            "below into your report; passwords and tokens are removed from them."
        )
        message.setWordWrap(True)
        text = QPlainTextEdit(details)
        text.setReadOnly(True)
        text.setMinimumSize(560, 220)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton("Copy details")
        self.open_log_button = QPushButton("Open log folder")
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.open_log_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.copy_button.clicked.connect(self._on_copy_button_clicked)
        self.open_log_button.clicked.connect(self._on_open_log_button_clicked)
        layout = QVBoxLayout(self)
        layout.addWidget(message)
        layout.addWidget(text)
        layout.addWidget(buttons)

    def _on_copy_button_clicked(self) -> None:
        QGuiApplication.clipboard().setText(self.details)
        self.copy_button.setText("Copied")

    def _on_open_log_button_clicked(self) -> None:
        open_log_folder(self._paths)
