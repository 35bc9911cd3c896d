"""`harvest-widget` (GUI): parse the flags, make the QApplication, build the shell, run.

`build_shell` is the one place the app's objects are assembled, so `--self-test` (gui/self_test.py)
and the benchmarks build exactly what a user runs.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from harvest_widget import APP_NAME, __version__
from harvest_widget.gui.account_source import AccountSource
from harvest_widget.gui.crash import install_crash_handlers
from harvest_widget.gui.shell import Shell
from harvest_widget.gui.single_instance import SingleInstance
from harvest_widget.gui.tray_icons import app_icon
from harvest_widget.gui.worker import EngineWorker
from harvest_widget.log import setup_logging
from harvest_widget.paths import AppPaths, app_paths

if TYPE_CHECKING:
    from harvest_widget.credentials import CredentialStore

log = logging.getLogger(__name__)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=APP_NAME, description="Harvest timer in the system tray.")
    parser.add_argument(
        "--demo", action="store_true", help="try it on a local practice Harvest (nothing is sent anywhere)"
    )
    parser.add_argument("--hidden", action="store_true", help="start in the tray without opening the window")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="check the assembled app against a local practice Harvest, then quit (exit 0 = passed)",
    )
    return parser.parse_args(list(argv))


def build_shell(
    paths: AppPaths,
    credentials: CredentialStore | None = None,
    *,
    tray_available: Callable[[], bool] = QSystemTrayIcon.isSystemTrayAvailable,
) -> Shell:
    """The app's objects, not yet started; `credentials=None` uses the OS keyring (on the worker)."""
    return Shell(
        EngineWorker(AccountSource(paths, credentials)), tray_available=tray_available, log_dir=paths.log_dir
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.self_test:
        from harvest_widget.gui.self_test import main as self_test_main

        return self_test_main()
    demo = None
    credentials = None
    if args.demo:
        from harvest_widget.credentials import CredentialStore
        from harvest_widget.gui.demo import start_demo

        demo = start_demo()
        credentials = CredentialStore(demo.keyring)
    paths = app_paths().ensure()
    setup_logging(paths.log_file)
    log.info("%s %s starting (demo=%s)", APP_NAME, __version__, bool(demo))
    app = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setWindowIcon(app_icon())
    app.setQuitOnLastWindowClosed(False)
    _crashes = install_crash_handlers(paths)  # kept alive for the whole run
    instance = SingleInstance(paths.lock_file)
    if not instance.acquire():
        print("Harvest widget is already running; its window was brought forward.")
        return 0
    shell = build_shell(paths, credentials)
    instance.activated.connect(shell.open_window)
    shell.start(hidden=args.hidden, sign_in=demo.sign_in_request() if demo else None)
    code = 1
    try:
        code = app.exec()
        return code
    finally:
        ended = shell.shutdown()
        instance.release()
        if demo is not None:
            demo.stop()
        if not ended:
            # A thread still waits on Harvest; Python's clean-up would abort on its live QThread.
            # Everything is in SQLite already (a change caught mid-send is checked before resending).
            logging.shutdown()
            os._exit(code)
