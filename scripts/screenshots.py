#!/usr/bin/env python3
"""Take the README screenshots under Xvfb with a real tray host (trayer): a busy day, a running
timer, the throttled state and the tray menu, against the demo sandbox on a throwaway home.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

Needs Xvfb and trayer (apt-get install -y xvfb trayer x11-utils). Without a DISPLAY it starts its
own Xvfb + trayer and runs itself inside them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCREEN = (1280, 800)
INSIDE_ENV = "HARVEST_WIDGET_SCREENSHOTS_INSIDE"


def run_under_xvfb(argv: list[str]) -> int:
    for tool in ("Xvfb", "trayer", "xdpyinfo"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is missing: apt-get install -y xvfb trayer x11-utils")
    display = f":{90 + os.getpid() % 9}"
    env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb", INSIDE_ENV: "1"}
    xvfb = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", f"{SCREEN[0]}x{SCREEN[1]}x24", "-nolisten", "tcp"]
    )
    tray = None
    try:
        for _ in range(50):
            if subprocess.run(["xdpyinfo"], check=False, env=env, capture_output=True).returncode == 0:
                break
            time.sleep(0.1)
        tray = subprocess.Popen(
            ["trayer", "--edge", "top", "--align", "right", "--widthtype", "pixel", "--width", "200",
             "--heighttype", "pixel", "--height", "32", "--tint", "0x2b2b2b", "--transparent", "true", "--alpha", "0"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(1.0)
        return subprocess.run([sys.executable, __file__, *argv], check=False, env=env, timeout=180).returncode
    finally:
        for process in (tray, xvfb):
            if process is not None:
                process.terminate()
                process.wait(timeout=5)


def take(out: Path) -> int:
    from decimal import Decimal

    from PySide6.QtCore import QEventLoop, QPoint, QTimer
    from PySide6.QtWidgets import QApplication, QSystemTrayIcon

    from harvest_widget.core.timesheet import EntryDraft
    from harvest_widget.credentials import CredentialStore
    from harvest_widget.gui.app import build_shell
    from harvest_widget.gui.demo import start_demo
    from harvest_widget.gui.worker import DayView
    from harvest_widget.paths import app_paths

    demo = start_demo()
    app = QApplication([sys.argv[0]])
    app.setQuitOnLastWindowClosed(False)
    shell = build_shell(app_paths().ensure(), CredentialStore(demo.keyring))
    window = shell.window

    def wait_until(condition, timeout_s: float = 20.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError(condition)
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            time.sleep(0.01)

    def settle(seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            time.sleep(0.01)

    def view() -> DayView | None:
        return window.current_view()

    def save(widget_name: str, pixmap) -> None:
        path = out / widget_name
        pixmap.save(str(path), "PNG")
        print(
            f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} ({path.stat().st_size // 1024} KB)"
        )

    try:
        wait_until(QSystemTrayIcon.isSystemTrayAvailable, 10)
        shell.start(sign_in=demo.sign_in_request())
        wait_until(lambda: (v := view()) is not None and v.shown.status.last_sync_at is not None)
        window.move(40, 60)
        window.resize(900, 580)
        today = view().today.date
        projects = view().shown.projects
        lines = [
            ("Sprint planning and backlog grooming", Decimal("0.75")),
            ("Homepage hero: three layout options", Decimal("1.50")),
            ("Code review: checkout flow", Decimal("1.25")),
            ("Client call about the launch date", Decimal("0.50")),
        ]
        for index, (notes, hours) in enumerate(lines):
            project = projects[index % len(projects)]
            task = project.tasks[index % len(project.tasks)]
            shell.handle.create(EntryDraft(project.id, task.id, today, notes=notes, hours=hours))
        wait_until(lambda: len(view().shown.entries) >= 6 and view().shown.status.pending_ops == 0)
        window.bring_forward()
        settle(1.0)
        save("timesheet-busy-day.png", window.grab())

        entry = view().shown.entries[2].entry
        shell.handle.start_timer(entry.id)
        wait_until(lambda: view().today.running is not None and view().shown.status.pending_ops == 0)
        window.table.clearSelection()
        settle(2.2)
        save("timesheet-running-timer.png", window.grab())

        demo.sandbox.set_throttle(1, 40.0)
        synced = view().shown.status.last_sync_at
        shell.handle.sync_now()
        wait_until(lambda: view().shown.status.last_sync_at != synced)
        shell.handle.sync_now()
        wait_until(lambda: "asked us to wait" in window.status_line.text.text())
        settle(2.2)
        save("timesheet-throttled.png", window.grab())
        demo.sandbox.set_throttle(100, 15.0)

        window.hide()
        geometry = shell.tray.icon.geometry()
        shell.tray.menu.aboutToShow.emit()
        shell.tray.menu.popup(QPoint(geometry.left(), geometry.bottom() + 2))
        settle(1.0)
        menu = shell.tray.menu.geometry()
        left = max(0, min(menu.left(), geometry.left()) - 24)
        width = max(menu.right(), geometry.right()) - left + 24
        height = max(menu.bottom(), geometry.bottom()) + 16
        screen = app.primaryScreen().grabWindow(0, left, 0, width, height)
        shell.tray.menu.hide()
        save("tray-menu.png", screen)
        return 0
    finally:
        QTimer.singleShot(0, app.quit)
        shell.shutdown()
        demo.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    if os.environ.get(INSIDE_ENV) != "1":
        return run_under_xvfb(sys.argv[1:])
    args.out.mkdir(parents=True, exist_ok=True)
    return take(args.out)


if __name__ == "__main__":
    sys.exit(main())
