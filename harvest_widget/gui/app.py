"""`harvest-widget` (GUI): parse the flags, make the QApplication, build the shell, run.

`build_shell` is the one place the app's objects are assembled, so `--self-test` and the benchmarks
build exactly what a user runs.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from harvest_widget import APP_NAME, __version__
from harvest_widget.credentials import CredentialStore
from harvest_widget.gui.account_source import AccountSource
from harvest_widget.gui.shell import Shell
from harvest_widget.gui.single_instance import SingleInstance
from harvest_widget.gui.tray_icons import app_icon
from harvest_widget.log import setup_logging
from harvest_widget.paths import AppPaths, app_paths

log = logging.getLogger(__name__)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=APP_NAME, description="Harvest timer in the system tray.")
    parser.add_argument(
        "--demo", action="store_true", help="try it on a local practice Harvest (nothing is sent anywhere)"
    )
    parser.add_argument("--hidden", action="store_true", help="start in the tray without opening the window")
    parser.add_argument("--self-test", action="store_true", help="start, show the first day, report and quit")
    return parser.parse_args(list(argv))


def build_shell(paths: AppPaths, credentials: CredentialStore | None = None) -> Shell:
    return Shell(AccountSource(paths, credentials))


def run_self_test(app: QApplication, shell: Shell) -> None:
    """Quit with 0 once the shell showed a day or asked to sign in; 1 after 20 s without either."""

    def report(outcome: str) -> None:
        print(f"self-test: {outcome}; tray_available={QSystemTrayIcon.isSystemTrayAvailable()}", flush=True)
        app.exit(0 if outcome != "timed out" else 1)

    shell.view_shown.connect(lambda _view: report("day shown"))
    shell.worker.needs_sign_in.connect(lambda: report("sign-in offered"))
    QTimer.singleShot(20_000, lambda: report("timed out"))


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    demo = None
    credentials = None
    if args.demo:
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
    instance = SingleInstance(paths.lock_file)
    if not instance.acquire():
        print("Harvest widget is already running; its window was brought forward.")
        return 0
    shell = build_shell(paths, credentials)
    instance.activated.connect(shell.open_window)
    shell.quit_requested.connect(app.quit)
    if args.self_test:
        run_self_test(app, shell)
    shell.start(hidden=args.hidden, sign_in=demo.sign_in_request() if demo else None)
    try:
        return app.exec()
    finally:
        shell.shutdown()
        instance.release()
        if demo is not None:
            demo.stop()
