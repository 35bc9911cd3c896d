"""The window's status line: last sync, changes waiting, throttle countdown, offline, errors."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMessageBox, QPushButton, QWidget

from harvest_widget.gui.style import show_as_error, show_as_waiting

if TYPE_CHECKING:  # the sync package is loaded on the worker thread, after the first paint
    from harvest_widget.sync.snapshots import SyncStatus


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def describe_status(
    status: SyncStatus, now: dt.datetime, *, syncing: bool = False, local_zone: dt.tzinfo | None = None
) -> str:
    """One line for the user, trouble first: 'Harvest asked us to wait 12 s · 3 changes waiting'."""
    parts: list[str] = []
    if status.auth_failed:
        parts.append("Harvest no longer accepts your sign-in; sign in again")
    elif status.throttled_until is not None and status.throttled_until > now:
        seconds = math.ceil((status.throttled_until - now).total_seconds())
        parts.append(f"Harvest asked us to wait {seconds} s")
    elif status.offline:
        parts.append("Offline: changes are kept here and sync when Harvest is reachable")
    elif syncing:
        parts.append("Syncing…")
    if status.pending_ops:
        parts.append(f"{status.pending_ops} change{'s' if status.pending_ops != 1 else ''} waiting")
    problems = status.conflicts + status.failed_ops
    if problems:
        parts.append(
            f"{problems} change{'s' if problems != 1 else ''} need{'s' if problems == 1 else ''} your attention"
        )
    if status.last_sync_at is not None:
        parts.append(f"Synced {status.last_sync_at.astimezone(local_zone).strftime('%H:%M')}")
    elif not parts:
        parts.append("Not synced yet")
    return " · ".join(parts)


class StatusLine(QWidget):
    """Shows `describe_status` live (the throttle countdown ticks) and the latest error with details."""

    def __init__(self, parent: QWidget | None = None, *, now: Callable[[], dt.datetime] = _utc_now) -> None:
        super().__init__(parent)
        self._now = now
        self._status: SyncStatus | None = None  # None until the first view
        self._syncing = False
        self.text = QLabel(self)
        self.text.setObjectName("statusText")
        self.error = QLabel(self)
        self.error.setObjectName("statusError")
        show_as_error(self.error)
        self.error.setWordWrap(True)
        self.details_button = QPushButton("Details…", self)
        self.details_button.setFlat(True)
        self.details_button.setToolTip("Show what exactly went wrong")
        self.details_button.clicked.connect(self._show_details)
        self._details = ""
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.error, 2)
        layout.addWidget(self.details_button)
        self.show_error("", "")
        self._countdown = QTimer(self)
        self._countdown.setInterval(1000)
        self._countdown.timeout.connect(self._render)

    def set_syncing(self, syncing: bool) -> None:
        self._syncing = syncing
        self._render()

    def set_status(self, status: SyncStatus) -> None:
        self._status = status
        if not (status.offline or status.throttled_until or status.auth_failed) and not status.last_error:
            self.show_error("", "")
        self._render()

    def is_throttled(self) -> bool:
        until = self._status.throttled_until if self._status else None
        return until is not None and until > self._now()

    def show_error(self, message: str, details: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))
        self._details = details
        self.details_button.setVisible(bool(message and details))

    def _render(self) -> None:
        status = self._status
        if status is None:
            return
        self.text.setText(describe_status(status, self._now(), syncing=self._syncing))
        waiting = self.is_throttled() or status.offline or status.auth_failed
        show_as_waiting(self.text, waiting)
        if self.is_throttled():
            if not self._countdown.isActive():
                self._countdown.start()
        elif self._countdown.isActive():
            self._countdown.stop()

    def _show_details(self) -> None:
        box = QMessageBox(QMessageBox.Icon.Information, "What went wrong", self.error.text(), parent=self)
        box.setDetailedText(self._details)
        box.open()
