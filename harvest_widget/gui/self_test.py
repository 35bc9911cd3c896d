"""`harvest-widget --self-test`: the whole app, offscreen, against an in-process sandbox Harvest.

It builds the shell exactly as a user's run does (`app.build_shell`), signs in to the sandbox's demo
user on a throwaway home, and checks one real round trip, each step judged against the sandbox's own
records rather than against the app's opinion of itself:

1. today's day is synced (the window shows the same entries the sandbox has);
2. a timer started the way the tray's "recent" menu does runs on the server;
3. stopped from the window's Stop action, it is stopped on the server, with nothing left to send.

It prints one line per check and exits 0, or prints what failed and exits 1 (also after a timeout).
Packaging runs it on every frozen bundle, so a bundle missing a module or plugin fails its build.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from enum import Enum, auto

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication

from harvest_widget import APP_NAME, __version__
from harvest_widget.core.account import WhoAmI
from harvest_widget.credentials import CredentialStore
from harvest_widget.gui.crash import install_crash_handlers
from harvest_widget.gui.shell import Shell
from harvest_widget.gui.worker import DayView
from harvest_widget.log import setup_logging
from harvest_widget.paths import app_paths
from harvest_widget.sandbox import Sandbox

log = logging.getLogger(__name__)

NOTES = "harvest-widget self-test"
TIMEOUT_MS = 60_000
USER = "admin"


class Step(Enum):
    SIGN_IN = auto()
    DAY_SYNCED = auto()
    TIMER_STARTED = auto()
    TIMER_STOPPED = auto()
    DONE = auto()


class SelfTest(QObject):
    """Drives `shell` through the checks as views arrive; `finished(code)` is reported via `done`."""

    def __init__(
        self,
        shell: Shell,
        sandbox: Sandbox,
        done: Callable[[int], None],
        *,
        out: Callable[[str], None] = print,
        timeout_ms: int = TIMEOUT_MS,
    ) -> None:
        super().__init__(shell)
        self._shell = shell
        self._sandbox = sandbox
        self._done = done
        self._out = out
        self._step = Step.SIGN_IN
        self._entry_id: int | None = None
        self._started = time.monotonic()
        shell.worker.signed_in.connect(self._on_signed_in)
        # Bound methods, not lambdas: the worker lives on another thread, and only a receiver
        # object makes Qt queue the call onto this (the GUI) thread.
        shell.worker.sign_in_failed.connect(self._on_sign_in_failed)
        shell.worker.failed.connect(self._on_failed)
        shell.view_shown.connect(self._on_view_shown)
        self._timeout = QTimer(self)
        self._timeout.setSingleShot(True)
        self._timeout.timeout.connect(lambda: self._fail(f"timed out waiting for: {self._step.name}"))
        self._timeout.start(timeout_ms)

    def _passed(self, check: str) -> None:
        self._out(f"self-test: ok   {check} ({time.monotonic() - self._started:.2f} s)")

    def _fail(self, reason: str) -> None:
        if self._step is Step.DONE:
            return
        self._step = Step.DONE
        self._timeout.stop()
        self._out(f"self-test: FAIL {reason}")
        self._done(1)

    def _on_signed_in(self, whoami: WhoAmI) -> None:
        if self._step is Step.SIGN_IN:
            self._passed(f"signed in to the sandbox at {self._sandbox.url} as user {whoami.user_id}")
            self._step = Step.DAY_SYNCED

    def on_crashed(self, summary: str, details: str) -> None:
        """An unhandled exception anywhere in the app fails the self-test at once, with its traceback."""
        self._out(details)
        self._fail(f"unhandled exception: {summary}")

    def _on_sign_in_failed(self, message: str) -> None:
        self._fail(f"sign-in failed: {message}")

    def _on_failed(self, message: str, _details: str) -> None:
        self._fail(message)

    def _on_view_shown(self, view: DayView) -> None:
        if self._step is Step.DAY_SYNCED:
            self._check_day_synced(view)
        elif self._step is Step.TIMER_STARTED:
            self._check_timer_started(view)
        elif self._step is Step.TIMER_STOPPED:
            self._check_timer_stopped(view)

    def _server_entries(self, view: DayView) -> dict[int, bool]:
        """id -> running, for the demo user's entries on the view's day, as the sandbox has them."""
        day = view.today.date
        return {e.id: e.running for e in self._sandbox.entries(USER) if e.spent_at == day}

    def _settled(self, view: DayView) -> bool:
        status = view.today.status
        return not view.syncing and status.last_sync_at is not None and status.is_clean

    def _check_day_synced(self, view: DayView) -> None:
        if not self._settled(view):
            return
        shown = {local.entry.id for local in view.today.entries}
        server = self._server_entries(view)
        rows = self._shell.window.model.rowCount()
        if shown != set(server) or rows != len(shown):
            self._fail(
                f"day {view.today.date}: window shows {sorted(shown)} ({rows} rows), sandbox has {sorted(server)}"
            )
            return
        self._passed(
            f"synced {view.today.date}: {len(shown)} entries, the same as the sandbox's, in the window"
        )
        project = next((p for p in view.today.projects if p.tasks), None)
        if project is None:
            self._fail("the demo account has no project with a task to start a timer on")
            return
        self._step = Step.TIMER_STARTED
        self._shell.handle.start_recent(project.id, project.tasks[0].id, NOTES)

    def _check_timer_started(self, view: DayView) -> None:
        running = view.today.running
        if running is None or running.entry.notes != NOTES or not self._settled(view):
            return
        entry_id = running.entry.id
        if not self._server_entries(view).get(entry_id, False):
            return  # the server answer is still on its way
        if self._shell.window.model.row_of(entry_id) is None:
            self._fail(f"the running entry {entry_id} is not in the window")
            return
        self._passed(f"started a timer: entry {entry_id} runs on the sandbox and shows in the window")
        self._entry_id = entry_id
        self._step = Step.TIMER_STOPPED
        window = self._shell.window
        if not window.select_entry(entry_id):
            self._fail(f"could not select entry {entry_id} in the window")
            return
        window.toggle_selected()

    def _check_timer_stopped(self, view: DayView) -> None:
        entry_id = self._entry_id
        if entry_id is None or view.today.running is not None or not self._settled(view):
            return
        server = self._server_entries(view)
        if entry_id not in server or server[entry_id]:
            return
        self._passed(
            f"stopped the timer from the window: entry {entry_id} stopped on the sandbox, nothing pending"
        )
        self._step = Step.DONE
        self._timeout.stop()
        self._out("self-test: passed")
        self._done(0)


def main(argv: Sequence[str] = ()) -> int:
    """Run the self-test in this process; returns the exit code."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from harvest_widget.gui.app import build_shell
    from harvest_widget.gui.demo import start_demo

    demo = start_demo()
    try:
        paths = app_paths().ensure()
        setup_logging(paths.log_file)
        log.info("%s %s self-test", APP_NAME, __version__)
        app = QApplication.instance() or QApplication([sys.argv[0], *argv])
        assert isinstance(app, QApplication)
        app.setApplicationName(APP_NAME)
        app.setQuitOnLastWindowClosed(False)
        crashes = install_crash_handlers(paths)
        crashes.dialogs_enabled = False  # nobody is there to close a dialog: fail instead
        shell = build_shell(paths, CredentialStore(demo.keyring))
        print(f"self-test: {APP_NAME} {__version__}, Qt platform {app.platformName()}", flush=True)
        self_test = SelfTest(shell, demo.sandbox, app.exit, out=lambda line: print(line, flush=True))
        crashes.crashed.connect(self_test.on_crashed)
        shell.start(sign_in=demo.sign_in_request())
        try:
            return app.exec()
        finally:
            shell.shutdown()
            crashes.uninstall()
    finally:
        demo.stop()
