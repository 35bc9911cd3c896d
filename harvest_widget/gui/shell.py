"""Wires the worker, the timesheet window, the tray and the dialogs together.

The shell holds no data of its own beyond the latest answers (settings, who am I); everything it
shows comes from the worker's signals, and every user intent goes to the worker.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QProcess, QTimer, Signal
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from harvest_widget.core.account import WhoAmI
from harvest_widget.core.calendar import today_in
from harvest_widget.gui.timesheet_window import TimesheetWindow
from harvest_widget.gui.tray import TrayIcon
from harvest_widget.gui.worker import DayView, EngineWorker, SignInRequest, WorkerHandle
from harvest_widget.settings import Settings

if TYPE_CHECKING:  # the dialogs are imported when first opened: start-up shows the tray sooner
    from harvest_widget.gui.settings_dialog import SettingsDialog, SignOutChoice, SignOutQuestion
    from harvest_widget.gui.sign_in_dialog import SignInDialog

log = logging.getLogger(__name__)

TRAY_RETRY_MS = 1000
TRAY_RETRIES = 15
ROLLOVER_CHECK_MS = 30_000


class Shell(QObject):
    """The app's objects; `start()` shows them, `shutdown()` stops the worker cleanly."""

    quit_requested = Signal()  # the user chose Quit; `quit()` then ends the event loop
    view_shown = Signal(object)  # DayView, after the window and the tray showed it

    def __init__(
        self,
        worker: EngineWorker,
        *,
        tray_available: Callable[[], bool] = QSystemTrayIcon.isSystemTrayAvailable,
        log_dir: Path | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._log_dir = log_dir
        self._tray_available = tray_available
        self.worker = worker
        self.handle = WorkerHandle(self.worker, self)
        self.window = TimesheetWindow(self.handle)
        self.tray = TrayIcon(self.handle, parent=self)
        self.sign_in_dialog: SignInDialog | None = None
        self.settings_dialog: SettingsDialog | None = None
        self.sign_out_question: SignOutQuestion | None = None
        self._settings = Settings()
        self._whoami: WhoAmI | None = None
        self._today: dt.date | None = None
        self._signed_in = False
        self._hidden_start = False
        self._painted_once = False

        worker = self.worker
        worker.view_ready.connect(self._on_view_ready)
        worker.signed_in.connect(self._on_signed_in)
        worker.sign_in_failed.connect(self._on_sign_in_failed)
        worker.needs_sign_in.connect(self._on_needs_sign_in)
        worker.signed_out.connect(self._on_signed_out)
        worker.settings_loaded.connect(self._on_settings_loaded)
        worker.notes_found.connect(self._on_notes_found)
        worker.failed.connect(self._on_failed)
        worker.syncing_changed.connect(self.window.status_line.set_syncing)

        window = self.window
        window.visibility_changed.connect(self._on_window_visibility_changed)
        window.settings_requested.connect(self.open_settings)
        window.sign_out_requested.connect(self.sign_out)
        window.quit_requested.connect(self.quit)

        tray = self.tray
        tray.toggle_window_requested.connect(self.toggle_window)
        tray.open_window_requested.connect(self.open_window)
        tray.new_entry_requested.connect(self.new_entry)
        tray.settings_requested.connect(self.open_settings)
        tray.sign_out_requested.connect(self.sign_out)
        tray.quit_requested.connect(self.quit)
        tray.menu_opened.connect(self._on_menu_opened)

        self._rollover = QTimer(self)
        self._rollover.setInterval(ROLLOVER_CHECK_MS)
        self._rollover.timeout.connect(self.check_rollover)

    # ---- lifecycle ----------------------------------------------------------------------------
    def start(self, *, hidden: bool = False, sign_in: SignInRequest | None = None) -> None:
        self._hidden_start = hidden
        self.handle.start(sign_in)
        self._rollover.start()
        self._show_tray_when_available(0)
        if not hidden:
            self.window.show()

    def quit(self) -> None:
        """End the event loop (nested ones of open dialogs too). Not `QApplication.quit()`: in Qt 6
        it first asks every window to close, and the timesheet window only hides to the tray, which
        cancels the quit."""
        self.quit_requested.emit()
        QApplication.exit(0)

    def shutdown(self) -> bool:
        """Stop the threads and hide everything; False when a thread is still stuck in a Harvest
        call after the bounded wait (the caller should end the process without waiting for it)."""
        self._rollover.stop()
        self.tray.hide()
        ended = self.handle.shutdown()
        for dialog in (self.sign_in_dialog, self.settings_dialog, self.sign_out_question):
            if dialog is not None:
                dialog.close()
        self.window.hide()
        return ended

    def _show_tray_when_available(self, attempt: int) -> None:
        if self._tray_available():
            self.tray.show()
            return
        if attempt < TRAY_RETRIES:
            QTimer.singleShot(TRAY_RETRY_MS, lambda: self._show_tray_when_available(attempt + 1))
            return
        log.warning(
            "no system tray after %d s; showing the window instead", TRAY_RETRIES * TRAY_RETRY_MS // 1000
        )
        self.tray.show()
        if self._hidden_start:
            self.window.bring_forward()

    # ---- intents ------------------------------------------------------------------------------
    def toggle_window(self) -> None:
        if self.window.isVisible():
            self.window.hide()
        else:
            self.open_window()

    def open_window(self) -> None:
        if not self._signed_in:
            self.show_sign_in()
            return
        self.window.bring_forward()

    def new_entry(self) -> None:
        self.open_window()
        if self._signed_in:
            self.window.focus_quick_entry()

    def show_sign_in(self) -> None:
        if self.sign_in_dialog is None:
            from harvest_widget.gui.sign_in_dialog import SignInDialog

            dialog = SignInDialog()
            dialog.submitted.connect(self.handle.sign_in)
            dialog.demo_requested.connect(self._launch_demo)
            dialog.rejected.connect(self._on_sign_in_dialog_closed)
            self.sign_in_dialog = dialog
        self.sign_in_dialog.show()
        self.sign_in_dialog.raise_()
        self.sign_in_dialog.activateWindow()

    def open_settings(self) -> None:
        from harvest_widget.gui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self._settings, self._dialog_parent(), log_dir=self._log_dir)
        dialog.saved.connect(self.handle.save_settings)
        dialog.sign_out_requested.connect(self.sign_out)
        self.settings_dialog = dialog
        dialog.open()

    def sign_out(self) -> None:
        """Ask first (saying how many changes are not on Harvest yet); the answer comes to
        `_on_sign_out_chosen`."""
        from harvest_widget.gui.settings_dialog import SignOutQuestion

        if self.sign_out_question is not None:
            self.sign_out_question.close()
        question = SignOutQuestion(self._unsynced_changes(), self._dialog_parent())
        question.chosen.connect(self._on_sign_out_chosen)
        question.finished.connect(question.deleteLater)
        self.sign_out_question = question
        question.open()

    def _on_sign_out_chosen(self, choice: SignOutChoice) -> None:
        from harvest_widget.gui.settings_dialog import SignOutChoice

        self.sign_out_question = None
        if choice is SignOutChoice.SYNC_NOW:
            self.handle.sync_now()
        elif choice in (SignOutChoice.SIGN_OUT, SignOutChoice.DISCARD):
            self.handle.sign_out(discard_unsynced=choice is SignOutChoice.DISCARD)

    def _dialog_parent(self) -> TimesheetWindow | None:
        return self.window if self.window.isVisible() else None

    def check_rollover(self) -> None:
        """Midnight in the user's Harvest zone: "today" moves on without a restart."""
        if self._whoami is None:
            return
        today = today_in(self._whoami.time_zone)
        if self._today is not None and today != self._today:
            log.info("the day rolled over to %s", today)
            was_on_today = self.window.shown_date() in (None, self._today)
            self._today = today
            if was_on_today:
                self.handle.show_day(None)
            else:
                self.handle.sync_now()
        self._today = today

    def _launch_demo(self) -> None:
        program, args = (
            (sys.executable, ["--demo"])
            if getattr(sys, "frozen", False)
            else (sys.executable, ["-m", "harvest_widget", "--demo"])
        )
        if not QProcess.startDetached(program, args)[0]:
            self._on_failed("The demo could not be started.", f"{program} {' '.join(args)}")

    def _unsynced_changes(self) -> int:
        """Changes not on Harvest yet: waiting to be sent, in conflict or refused."""
        view = self.window.current_view()
        if view is None:
            return 0
        status = view.today.status
        return status.pending_ops + status.conflicts + status.failed_ops

    # ---- worker answers -----------------------------------------------------------------------
    def _on_view_ready(self, view: DayView) -> None:
        if not self._painted_once:
            self._painted_once = True
            # After this view's paint (posted events run before timers): the worker's next step
            # loads the keyring and the HTTP client, whose imports would hold up that paint.
            QTimer.singleShot(0, self.handle.go_online)
        self.window.show_view(view)
        self.tray.show_view(view, throttled=self.window.status_line.is_throttled())
        if self._today is None:
            self._today = view.today.date
        self.view_shown.emit(view)

    def _on_signed_in(self, whoami: WhoAmI) -> None:
        self._whoami = whoami
        self._signed_in = True
        self._today = None
        self.window.set_whoami(whoami)
        self.tray.set_signed_in(True)
        self.tray.set_hours_format(self.window.hours_format())
        if self.window.isVisible():
            self.handle.refresh(whole_week=True)
        if self.sign_in_dialog is not None:
            dialog, self.sign_in_dialog = self.sign_in_dialog, None
            dialog.rejected.disconnect(self._on_sign_in_dialog_closed)
            dialog.accept()
            dialog.deleteLater()
            if not self._hidden_start:
                self.window.bring_forward()

    def _on_sign_in_failed(self, message: str) -> None:
        if self.sign_in_dialog is None:
            self.show_sign_in()
        assert self.sign_in_dialog is not None
        self.sign_in_dialog.show_failure(message)

    def _on_needs_sign_in(self) -> None:
        self._signed_in = False
        self.tray.set_signed_in(False)
        self.window.hide()
        self.show_sign_in()

    def _on_sign_in_dialog_closed(self) -> None:
        self.sign_in_dialog = None

    def _on_signed_out(self) -> None:
        self._whoami = None
        self._signed_in = False

    def _on_settings_loaded(self, settings: Settings) -> None:
        self._settings = settings
        self.window.set_hours_override(settings.hours_format)
        self.tray.set_hours_format(self.window.hours_format())

    def _on_notes_found(self, prefix: str, notes: tuple[str, ...]) -> None:
        if self.window.quick_entry.notes.text() == prefix:
            self.window.quick_entry.set_note_suggestions(notes)

    def _on_failed(self, message: str, details: str) -> None:
        self.window.status_line.show_error(message, details)
        if self._settings.notifications and not self.window.isVisible() and self.tray.icon.isVisible():
            self.tray.icon.showMessage("Harvest widget", message, QSystemTrayIcon.MessageIcon.Warning)

    def _on_window_visibility_changed(self, visible: bool) -> None:
        if visible and self._signed_in:
            self.handle.refresh(whole_week=True)

    def _on_menu_opened(self) -> None:
        if self._signed_in:
            self.handle.refresh()
