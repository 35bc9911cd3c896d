"""Crash handling: unhandled exceptions and Qt's own messages end up in the (redacting) log.

`install_crash_handlers()` sets `sys.excepthook` (which PySide6 also calls for an exception raised
in a slot), `threading.excepthook` and a Qt message handler. An unhandled exception is logged with
its traceback, then a dialog tells the user, with "Copy details" (a redacted report for a bug
ticket) and "Open log folder". The app keeps running: a tray timer that vanishes loses the user's
time, a dialog does not.

Safety rules: the details shown or copied pass through `log.redact`, like every log line; while a
crash dialog is open, further exceptions are only logged; if the dialog itself cannot be built,
dialogs are switched off and crashes are only logged, so a broken dialog can never loop.
The dialog (gui/crash_dialog.py) is imported when something has crashed, not at start-up: its
widget classes would cost the first paint a few milliseconds and ~2 MB for a rare event.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING

import PySide6
from PySide6.QtCore import (
    QCoreApplication,
    QMessageLogContext,
    QObject,
    QtMsgType,
    Signal,
    qInstallMessageHandler,
    qVersion,
)

from harvest_widget import APP_NAME, __version__
from harvest_widget.log import redact
from harvest_widget.paths import AppPaths

if TYPE_CHECKING:
    from PySide6.QtWidgets import QDialog

log = logging.getLogger(__name__)
qt_log = logging.getLogger("qt")

_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]
DialogFactory = Callable[[str, str, AppPaths], "QDialog"]


def crash_details(exc_info: ExcInfo, paths: AppPaths, thread_name: str | None = None) -> str:
    """The report a user can paste into a ticket: versions, log location, traceback; redacted."""
    import platform  # only when something crashed: not worth its import before the first paint

    where = f" in thread {thread_name}" if thread_name else ""
    lines = [
        f"{APP_NAME} {__version__} on {platform.platform()}",
        f"Python {platform.python_version()}, Qt {qVersion()}, PySide6 {PySide6.__version__}",
        f"Log file: {paths.log_file}",
        f"Unhandled exception{where}:",
        "".join(traceback.format_exception(*exc_info)).rstrip(),
    ]
    return redact("\n".join(lines))


class CrashReporter(QObject):
    """Owns the installed hooks and the one crash dialog; `uninstall()` puts the previous hooks back.

    Signals:
        crashed(summary, details): an unhandled exception was logged (emitted from any thread; the
            dialog is shown on the GUI thread through a queued connection).
    """

    crashed = Signal(str, str)

    def __init__(self, paths: AppPaths, dialog_factory: DialogFactory | None = None) -> None:
        super().__init__()
        self._paths = paths
        self._dialog_factory = dialog_factory
        self.dialog: QDialog | None = None
        self.dialogs_enabled = True
        self._in_hook = threading.local()
        self._previous_excepthook = sys.excepthook
        self._previous_thread_hook = threading.excepthook
        self._previous_qt_handler: Callable[[QtMsgType, QMessageLogContext, str], object] | None = None
        self.crashed.connect(self._on_crashed)

    def install(self) -> CrashReporter:
        sys.excepthook = self.excepthook
        threading.excepthook = self.thread_excepthook
        self._previous_qt_handler = qInstallMessageHandler(qt_message_handler)
        return self

    def uninstall(self) -> None:
        sys.excepthook = self._previous_excepthook
        threading.excepthook = self._previous_thread_hook
        qInstallMessageHandler(self._previous_qt_handler)

    def excepthook(self, kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        self._report((kind, error, tb), None)

    def thread_excepthook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None:
            return
        name = args.thread.name if args.thread is not None else "unknown"
        self._report((args.exc_type, args.exc_value, args.exc_traceback), name)

    def _report(self, exc_info: ExcInfo, thread_name: str | None) -> None:
        if issubclass(exc_info[0], KeyboardInterrupt):
            self._previous_excepthook(*exc_info)
            return
        if getattr(self._in_hook, "active", False):
            # Logging itself failed inside the hook: fall back to Python's own printer, never recurse.
            sys.__excepthook__(*exc_info)
            return
        self._in_hook.active = True
        try:
            where = f" in thread {thread_name}" if thread_name else ""
            log.critical("Unhandled exception%s", where, exc_info=exc_info)
            summary = redact(f"{exc_info[0].__name__}: {exc_info[1]}")[:300]
            self.crashed.emit(summary, crash_details(exc_info, self._paths, thread_name))
        finally:
            self._in_hook.active = False

    def _on_crashed(self, summary: str, details: str) -> None:
        app = QCoreApplication.instance()
        if not self.dialogs_enabled or app is None or not app.inherits("QApplication"):
            return  # a dialog needs a QApplication; without one, building it would abort Qt
        if self.dialog is not None and self.dialog.isVisible():
            log.info("A crash dialog is already open; this crash is only logged")
            return
        try:
            factory = self._dialog_factory
            if factory is None:
                from harvest_widget.gui.crash_dialog import CrashDialog

                factory = CrashDialog
            self.dialog = factory(summary, details, self._paths)
            self.dialog.show()
        except Exception:
            self.dialogs_enabled = False
            self.dialog = None
            log.exception("The crash dialog failed; later crashes are only logged")


def qt_message_handler(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    """Route a Qt message into the `qt` logger at the matching level (redacted like any record)."""
    where = f" ({context.file}:{context.line})" if context.file else ""
    qt_log.log(_QT_LEVELS.get(kind, logging.WARNING), "%s%s", message, where)


def install_crash_handlers(paths: AppPaths, dialog_factory: DialogFactory | None = None) -> CrashReporter:
    """Install the excepthooks and the Qt message handler; call once, after the QApplication and
    `setup_logging`. Keep the returned reporter alive for the life of the app."""
    return CrashReporter(paths, dialog_factory).install()
