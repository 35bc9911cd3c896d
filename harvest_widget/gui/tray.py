"""The tray icon: state at a glance, the running timer in the tooltip, and a menu for one-click work.

The menu is rebuilt every time it opens (from the latest `DayView`), so it is never stale.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from harvest_widget.core.account import HoursFormat
from harvest_widget.core.durations import format_seconds
from harvest_widget.gui.status_line import describe_status
from harvest_widget.gui.tray_icons import TrayState, prefers_dark_icons, tray_icon, tray_state
from harvest_widget.gui.worker import DayView, WorkerHandle

if TYPE_CHECKING:  # the sync package is loaded on the worker thread, after the first paint
    from harvest_widget.sync.snapshots import RecentCombination

TOOLTIP_REFRESH_MS = 1000


def combination_label(combo: RecentCombination) -> str:
    what = " - ".join(p for p in (combo.project_name or f"Project {combo.project_id}", combo.task_name) if p)
    notes = combo.notes if len(combo.notes) <= 40 else combo.notes[:39] + "…"
    return f"{what}: {notes}" if notes else what


class TrayIcon(QObject):
    """Owns the `QSystemTrayIcon` and its menu; emits intents the shell acts on."""

    toggle_window_requested = Signal()
    open_window_requested = Signal()
    new_entry_requested = Signal()
    settings_requested = Signal()
    sign_out_requested = Signal()
    quit_requested = Signal()
    menu_opened = Signal()
    shown = Signal()

    def __init__(
        self,
        worker: WorkerHandle,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._worker = worker
        self._monotonic = monotonic
        self._view: DayView | None = None
        self._hours_format = HoursFormat.DECIMAL
        self._signed_in = False
        self._state: TrayState | None = None
        self.icon = QSystemTrayIcon(self)
        self.menu = QMenu()
        self.menu.aboutToShow.connect(self._on_menu_about_to_show)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._on_activated)
        self._tick = QTimer(self)
        self._tick.setInterval(TOOLTIP_REFRESH_MS)
        self._tick.timeout.connect(self._update_tooltip)
        self._set_state(TrayState.IDLE)
        self._update_tooltip()
        self.rebuild_menu()

    def show(self) -> None:
        self.icon.show()
        # WORKAROUND: Windows 11 may drop a tooltip set before show() (aw-qt#112).
        self._update_tooltip(force=True)
        self.shown.emit()

    def hide(self) -> None:
        self.icon.hide()

    def set_signed_in(self, signed_in: bool) -> None:
        self._signed_in = signed_in
        if not signed_in:
            self._view = None
            self._tick.stop()
        self._update_tooltip(force=True)

    def set_hours_format(self, style: HoursFormat) -> None:
        self._hours_format = style
        self._update_tooltip(force=True)

    def show_view(self, view: DayView, *, throttled: bool) -> None:
        self._view = view
        self._set_state(tray_state(view.today.status, view.today.running is not None, throttled=throttled))
        if view.today.running is not None and not self._tick.isActive():
            self._tick.start()
        elif view.today.running is None:
            self._tick.stop()
        self._update_tooltip(force=True)

    def state(self) -> TrayState | None:
        return self._state

    def _set_state(self, state: TrayState) -> None:
        if state is not self._state:
            self._state = state
            self.icon.setIcon(tray_icon(state, dark=prefers_dark_icons()))

    def tooltip_text(self) -> str:
        if not self._signed_in:
            return "Harvest widget: not signed in"
        view = self._view
        if view is None:
            return "Harvest widget: loading…"
        now = self._monotonic()
        lines: list[str] = []
        running = view.today.running
        if running is not None:
            entry = running.entry
            elapsed = view.today.running_seconds(now) or 0
            what = " - ".join(p for p in (entry.project_name, entry.task_name) if p)
            lines.append(f"▶ {what} {format_seconds(elapsed, self._hours_format)}")
            if entry.notes:
                lines.append(entry.notes if len(entry.notes) <= 60 else entry.notes[:59] + "…")
        else:
            lines.append("No timer running")
        lines.append(f"Today: {format_seconds(view.today.total_seconds_at(now), self._hours_format)}")
        status = view.today.status
        if not status.is_clean or status.offline or status.throttled_until:
            lines.append(describe_status(status, dt.datetime.now(dt.UTC)))
        return "\n".join(lines)

    def _update_tooltip(self, force: bool = False) -> None:
        text = self.tooltip_text()
        if force or text != self.icon.toolTip():
            self.icon.setToolTip(text)

    # ---- menu ---------------------------------------------------------------------------------
    def _on_menu_about_to_show(self) -> None:
        self.rebuild_menu()
        self.menu_opened.emit()

    def rebuild_menu(self) -> None:
        menu = self.menu
        menu.clear()
        if not self._signed_in:
            self._add(menu, "Sign in…", self.open_window_requested.emit)
            menu.addSeparator()
            self._add(menu, "Quit", self.quit_requested.emit)
            return
        view = self._view
        running = view.today.running if view else None
        if running is not None and view is not None:
            entry = running.entry
            elapsed = view.today.running_seconds(self._monotonic()) or 0
            what = " - ".join(p for p in (entry.project_name, entry.task_name) if p)
            header = QAction(f"▶ {what}  {format_seconds(elapsed, self._hours_format)}", menu)
            header.setEnabled(False)
            menu.addAction(header)
            self._add(menu, "Stop timer", lambda: self._worker.stop_timer(entry.id))
            menu.addSeparator()
        recent = view.recent if view else ()
        if recent:
            continue_header = QAction("Continue", menu)
            continue_header.setEnabled(False)
            menu.addAction(continue_header)
            for combo in recent[:5]:
                self._add(menu, combination_label(combo), self._continuer(combo))
            menu.addSeparator()
        self._add(menu, "New entry…", self.new_entry_requested.emit)
        self._add(menu, "Open timesheet", self.open_window_requested.emit)
        self._add(menu, self._sync_label(), self._worker.sync_now)
        menu.addSeparator()
        self._add(menu, "Settings…", self.settings_requested.emit)
        self._add(menu, "Sign out…", self.sign_out_requested.emit)
        self._add(menu, "Quit", self.quit_requested.emit)

    def _continuer(self, combo: RecentCombination) -> Callable[[], None]:
        return lambda: self._worker.start_recent(combo.project_id, combo.task_id, combo.notes)

    def _sync_label(self) -> str:
        status = self._view.today.status if self._view else None
        if status is None:
            return "Sync now"
        parts = []
        if status.pending_ops:
            parts.append(f"{status.pending_ops} waiting")
        if status.last_sync_at is not None:
            parts.append(f"last {status.last_sync_at.astimezone().strftime('%H:%M')}")
        return f"Sync now ({', '.join(parts)})" if parts else "Sync now"

    def _add(self, menu: QMenu, text: str, slot: Callable[[], object]) -> QAction:
        action = QAction(text, menu)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def action(self, text_start: str) -> QAction | None:
        """The current menu's first action whose text starts with `text_start` (for tests and scripts)."""
        return next((a for a in self.menu.actions() if a.text().startswith(text_start)), None)

    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        # macOS opens the menu on click; elsewhere a left click toggles the timesheet.
        if reason == QSystemTrayIcon.ActivationReason.Trigger and sys.platform != "darwin":
            self.toggle_window_requested.emit()
