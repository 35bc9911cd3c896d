"""Crash handlers in-process: what is logged, what the dialog shows and copies, no loops."""

from __future__ import annotations

import json
import logging
import os
import secrets
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, QTimer, Signal, qWarning
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot

from harvest_widget.gui.crash import CrashReporter, DialogFactory, install_crash_handlers
from harvest_widget.gui.crash_dialog import CrashDialog
from harvest_widget.log import redact_value, setup_logging
from harvest_widget.paths import AppPaths

ROOT = Path(__file__).resolve().parent.parent


class Emitter(QObject):
    fired = Signal()


@pytest.fixture
def log_file(home: AppPaths) -> Iterator[Path]:
    handler = setup_logging(home.log_file)
    try:
        yield home.log_file
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()


@pytest.fixture
def secret() -> str:
    value = "pw-" + secrets.token_hex(8)
    redact_value(value)
    return value


def install(
    home: AppPaths, request: pytest.FixtureRequest, dialog_factory: DialogFactory | None = None
) -> CrashReporter:
    reporter = install_crash_handlers(home, dialog_factory)
    request.addfinalizer(reporter.uninstall)
    return reporter


def run_fresh(code: str) -> dict[str, object]:
    """Run `code` in a new interpreter (offscreen Qt, this process's environment, so the test's
    home) and return the JSON object it prints last."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    args = [sys.executable, "-c", textwrap.dedent(code)]
    result = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    report: dict[str, object] = json.loads(result.stdout.splitlines()[-1])
    return report


def raise_in_slot(message: str) -> Emitter:
    emitter = Emitter()

    def on_fired() -> None:
        raise RuntimeError(message)

    emitter.fired.connect(on_fired)
    QTimer.singleShot(0, emitter.fired.emit)
    return emitter


def test_exception_in_slot_is_logged_and_dialog_copies_redacted_details(
    qtbot: QtBot, home: AppPaths, log_file: Path, secret: str, request: pytest.FixtureRequest
) -> None:
    reporter = install(home, request)
    _emitter = raise_in_slot(f"could not save, password was {secret}")
    qtbot.waitUntil(lambda: reporter.dialog is not None and reporter.dialog.isVisible())
    dialog = reporter.dialog
    assert isinstance(dialog, CrashDialog)
    qtbot.addWidget(dialog)

    dialog.copy_button.click()
    copied = QGuiApplication.clipboard().text()
    assert "RuntimeError: could not save, password was [REDACTED]" in copied
    assert "in on_fired" in copied
    assert str(home.log_file) in copied
    assert secret not in copied

    text = log_file.read_text(encoding="utf-8")
    assert "CRITICAL" in text
    assert "Traceback (most recent call last)" in text
    assert "RuntimeError: could not save, password was [REDACTED]" in text
    assert secret not in text


def test_importing_the_crash_hooks_loads_neither_the_dialog_nor_qtwidgets() -> None:
    report = run_fresh(
        """
        import json, sys
        import harvest_widget.gui.crash
        watched = ("harvest_widget.gui.crash_dialog", "PySide6.QtWidgets")
        print(json.dumps({"loaded": [name for name in watched if name in sys.modules]}))
        """
    )
    assert report == {"loaded": []}


def test_a_crash_under_a_core_application_is_logged_without_building_a_dialog(home: AppPaths) -> None:
    report = run_fresh(
        """
        import json, sys
        from PySide6.QtCore import QCoreApplication
        from harvest_widget.gui.crash import install_crash_handlers
        from harvest_widget.log import setup_logging
        from harvest_widget.paths import app_paths

        app = QCoreApplication([])
        paths = app_paths().ensure()
        setup_logging(paths.log_file)
        reporter = install_crash_handlers(paths)
        try:
            raise RuntimeError("headless")
        except RuntimeError:
            sys.excepthook(*sys.exc_info())
        app.processEvents()
        loaded = "harvest_widget.gui.crash_dialog" in sys.modules
        print(json.dumps({"dialog": reporter.dialog is not None, "dialog_module_loaded": loaded}))
        """
    )
    assert report == {"dialog": False, "dialog_module_loaded": False}
    assert "RuntimeError: headless" in home.log_file.read_text(encoding="utf-8")


def test_a_dialog_module_that_fails_to_import_turns_dialogs_off(
    qtbot: QtBot,
    home: AppPaths,
    log_file: Path,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "harvest_widget.gui.crash_dialog", None)  # the import raises
    reporter = install(home, request)
    _first = raise_in_slot("first")
    qtbot.waitUntil(lambda: not reporter.dialogs_enabled)
    assert reporter.dialog is None
    text = log_file.read_text(encoding="utf-8")
    assert "RuntimeError: first" in text
    assert "The crash dialog failed" in text
    assert "import of harvest_widget.gui.crash_dialog halted" in text


def test_second_crash_while_the_dialog_is_open_is_only_logged(
    qtbot: QtBot, home: AppPaths, log_file: Path, request: pytest.FixtureRequest
) -> None:
    built: list[QDialog] = []

    def factory(summary: str, details: str, paths: AppPaths) -> QDialog:
        built.append(CrashDialog(summary, details, paths))
        return built[-1]

    reporter = install(home, request, dialog_factory=factory)
    _first = raise_in_slot("first")
    qtbot.waitUntil(lambda: len(built) == 1 and built[0].isVisible())
    qtbot.addWidget(built[0])
    _second = raise_in_slot("second")
    qtbot.waitUntil(lambda: "RuntimeError: second" in log_file.read_text(encoding="utf-8"))
    assert len(built) == 1
    assert reporter.dialog is built[0]


def test_a_failing_dialog_turns_dialogs_off_instead_of_looping(
    qtbot: QtBot, home: AppPaths, log_file: Path, request: pytest.FixtureRequest
) -> None:
    attempts: list[str] = []

    def broken_factory(summary: str, details: str, paths: AppPaths) -> QDialog:
        attempts.append(summary)
        raise ValueError("dialog broke")

    reporter = install(home, request, dialog_factory=broken_factory)
    _first = raise_in_slot("first")
    qtbot.waitUntil(lambda: not reporter.dialogs_enabled)
    _second = raise_in_slot("second")
    qtbot.waitUntil(lambda: "RuntimeError: second" in log_file.read_text(encoding="utf-8"))
    assert attempts == ["RuntimeError: first"]
    text = log_file.read_text(encoding="utf-8")
    assert "The crash dialog failed" in text
    assert "ValueError: dialog broke" in text


def test_exception_in_a_thread_is_logged_with_its_name_and_shown_on_the_gui_thread(
    qtbot: QtBot, home: AppPaths, log_file: Path, secret: str, request: pytest.FixtureRequest
) -> None:
    reporter = install(home, request)

    def work() -> None:
        raise ConnectionError(f"token {secret} rejected")

    thread = threading.Thread(target=work, name="sync-worker")
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: reporter.dialog is not None and reporter.dialog.isVisible())
    assert reporter.dialog is not None
    qtbot.addWidget(reporter.dialog)
    assert reporter.dialog.thread() is QGuiApplication.instance().thread()  # type: ignore[union-attr]
    text = log_file.read_text(encoding="utf-8")
    assert "Unhandled exception in thread sync-worker" in text
    assert "ConnectionError: token [REDACTED] rejected" in text
    assert secret not in text


def test_qt_messages_are_written_to_the_log_at_their_level(
    home: AppPaths, log_file: Path, request: pytest.FixtureRequest
) -> None:
    install(home, request)
    qWarning("a Qt warning for the log")
    assert "WARNING MainThread qt: a Qt warning for the log" in log_file.read_text(encoding="utf-8")


def test_uninstall_restores_the_previous_hooks(home: AppPaths) -> None:
    before = (sys.excepthook, threading.excepthook)
    reporter = install_crash_handlers(home)
    assert sys.excepthook == reporter.excepthook
    reporter.uninstall()
    assert (sys.excepthook, threading.excepthook) == before
