"""The longest the GUI thread stalls while 50 operations sync through a slow Harvest.

Runs the real widget (offscreen) signed in to the sandbox, makes every Harvest call take `--latency`
seconds, issues `--ops` operations the way the window does (quick entries, inline edits, timer
starts and stops), and measures a 10 ms heartbeat `QTimer` on the GUI thread until every operation
reached Harvest. Baseline in the same run: the same heartbeat while the app sits idle for as long.
Target: longest stall under 30 ms.

    .venv/bin/python bench/gui_stall.py [--ops 50] [--latency 0.3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from harvest_widget.core.timesheet import EntryChanges
from harvest_widget.credentials import CredentialStore
from harvest_widget.gui.account_source import AccountSource
from harvest_widget.gui.session_keyring import SessionKeyring
from harvest_widget.gui.shell import Shell
from harvest_widget.gui.worker import EngineWorker, SignInRequest
from harvest_widget.paths import HOME_ENV, app_paths
from harvest_widget.sandbox import Fault, Sandbox

HEARTBEAT_MS = 10


class Heartbeat:
    def __init__(self) -> None:
        self.gaps: list[float] = []
        self._last = time.perf_counter()
        self.timer = QTimer()
        self.timer.setInterval(HEARTBEAT_MS)
        self.timer.timeout.connect(self._beat)

    def _beat(self) -> None:
        now = time.perf_counter()
        self.gaps.append((now - self._last) * 1000)
        self._last = now

    def start(self) -> None:
        self.gaps.clear()
        self._last = time.perf_counter()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def report(self) -> str:
        stalls = [gap - HEARTBEAT_MS for gap in self.gaps]
        return (
            f"longest stall {max(stalls):5.1f} ms, p99 {statistics.quantiles(stalls, n=100)[98]:5.1f} ms, "
            f"{len(self.gaps)} beats"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.3, help="seconds added to every Harvest call")
    args = parser.parse_args()

    app = QApplication([sys.argv[0]])
    sandbox = Sandbox().start()
    with tempfile.TemporaryDirectory(prefix="harvest-widget-stall-") as home:
        os.environ[HOME_ENV] = home
        shell = Shell(
            EngineWorker(AccountSource(app_paths().ensure(), CredentialStore(SessionKeyring()))),
            tray_available=lambda: True,
        )

        def wait_until(condition, timeout_s: float = 600.0) -> None:  # type: ignore[no-untyped-def]
            deadline = time.monotonic() + timeout_s
            while not condition():
                if time.monotonic() > deadline:
                    raise TimeoutError("the sync did not finish")
                app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)

        user = sandbox.users["admin"]
        shell.start(sign_in=SignInRequest(server_url=sandbox.url, email=user.email, password=user.password))
        window = shell.window
        wait_until(
            lambda: (v := window.current_view()) is not None and v.shown.status.last_sync_at is not None
        )
        wait_until(lambda: "Syncing" not in window.status_line.text.text())

        heartbeat = Heartbeat()
        heartbeat.start()
        idle_until = time.monotonic() + 3.0
        wait_until(lambda: time.monotonic() > idle_until)
        heartbeat.stop()
        idle = heartbeat.report()

        sandbox.faults.add(Fault("latency", seconds=args.latency))
        view = window.current_view()
        assert view is not None
        project = view.shown.projects[0]
        task = project.tasks[0]
        heartbeat.start()
        started = time.monotonic()
        created = 0
        for number in range(args.ops):
            kind = number % 5
            current = window.current_view()
            assert current is not None
            synced = [e.entry for e in current.shown.entries if e.entry.id > 0 and not e.entry.is_locked]
            if kind in (0, 1) or not synced:
                window.quick_entry.picker.set_choice(project.id, task.id)
                window.quick_entry.notes.setText(f"Stall bench line {number}")
                window.quick_entry.hours.setText("0:15")
                window.quick_entry.submit()
                created += 1
            elif kind == 2:
                shell.handle.edit(synced[number % len(synced)].id, EntryChanges(notes=f"Edited {number}"))
            elif kind == 3:
                shell.handle.start_timer(synced[number % len(synced)].id)
            else:
                running = current.today.running
                if running is not None:
                    shell.handle.stop_timer(running.entry.id)
                else:
                    shell.handle.edit(synced[0].id, EntryChanges(notes=f"Edited again {number}"))
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)
        wait_until(
            lambda: (
                (v := window.current_view()) is not None
                and v.shown.status.pending_ops == 0
                and sum(e.entry.notes.startswith("Stall bench line") for e in v.shown.entries) == created
            )
        )
        elapsed = time.monotonic() - started
        heartbeat.stop()
        busy = heartbeat.report()
        requests = len(sandbox.requests)
        shell.shutdown()
    sandbox.stop()
    print(
        f"{args.ops} operations through Harvest with {args.latency:g} s latency per call: all synced in {elapsed:.1f} s"
    )
    print(f"  GUI thread while syncing: {busy}  (target: longest under 30 ms)")
    print(f"  GUI thread idle baseline: {idle}")
    print(f"  sandbox requests in the run: {requests}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
