from __future__ import annotations

import subprocess
import sys

from harvest_widget.gui.single_instance import LISTEN_AFTER_MS, WAKE_WAIT_S, SingleInstance

SECOND_LAUNCH = """
import sys
from pathlib import Path
from PySide6.QtCore import QCoreApplication
from harvest_widget.gui.single_instance import SingleInstance
app = QCoreApplication([])
sys.exit(3 if SingleInstance(Path(sys.argv[1])).acquire() else 0)
"""


def test_a_second_launch_wakes_the_first_instead_of_running(qtbot, tmp_path):
    first = SingleInstance(tmp_path / "widget.lock")
    assert first.acquire()
    assert not first.is_listening()  # the socket waits until start-up is done
    qtbot.waitUntil(first.is_listening, timeout=LISTEN_AFTER_MS + 2000)
    second = SingleInstance(tmp_path / "widget.lock")
    with qtbot.waitSignal(first.activated, timeout=5000):
        assert not second.acquire()
    first.release()
    third = SingleInstance(tmp_path / "widget.lock")
    assert third.acquire()
    third.release()


def test_a_second_launch_during_the_first_ones_start_up_waits_for_it_to_listen(qtbot, tmp_path):
    first = SingleInstance(tmp_path / "widget.lock")
    assert first.acquire()
    second = subprocess.Popen([sys.executable, "-c", SECOND_LAUNCH, str(tmp_path / "widget.lock")])
    try:
        with qtbot.waitSignal(first.activated, timeout=int(WAKE_WAIT_S * 1000) + 5000):
            pass  # the first lets its event loop run; the second knocks until the socket opens
        assert second.wait(timeout=WAKE_WAIT_S + 5) == 0
    finally:
        second.kill()
        first.release()
