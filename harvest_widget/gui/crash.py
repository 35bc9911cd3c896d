"""Crash handling: unhandled exceptions and Qt's own messages end up in the (redacting) log.

`install_crash_handlers()` sets `sys.excepthook` (which PySide6 also calls for an exception raised
in a slot), `threading.excepthook` and a Qt message handler. An unhandled exception is logged with
its traceback, then a dialog tells the user, with "Copy details" (a redacted report for a bug
ticket) and "Open log folder". The app keeps running: a tray timer that vanishes loses the user's
time, a dialog does not.

Safety rules: the details shown or copied pass through `log.redact`, like every log line; while a
crash dialog is open, further exceptions are only logged; if the dialog itself cannot be built,
dialogs are switched off and crashes are only logged, so a broken dialog can never loop.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from collections.abc import Callable
from types import TracebackType

import PySide6
from PySide6.QtCore import (
    QMessageLogContext,
    QObject,
    QtMsgType,
    QUrl,
    Signal,
    qInstallMessageHandler,
    qVersion,
)
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from harvest_widget import APP_NAME, __version__
from harvest_widget.log import redact
from harvest_widget.paths import AppPaths

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
DialogFactory = Callable[[str, str, AppPaths], QDialog]


def open_log_folder(paths: AppPaths) -> bool:
    """Show the log folder in the file manager (for Settings and the crash dialog)."""
    paths.log_dir.mkdir(parents=True, exist_ok=True)
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(paths.log_dir)))


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
        self._dialog_factory: DialogFactory = dialog_factory or CrashDialog
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
        if not self.dialogs_enabled or QApplication.instance() is None:
            return
        if self.dialog is not None and self.dialog.isVisible():
            log.info("A crash dialog is already open; this crash is only logged")
            return
        try:
            self.dialog = self._dialog_factory(summary, details, self._paths)
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
