from __future__ import annotations

from harvest_widget.gui.single_instance import SingleInstance


def test_a_second_launch_wakes_the_first_instead_of_running(qtbot, tmp_path):
    first = SingleInstance(tmp_path / "widget.lock")
    assert first.acquire()
    second = SingleInstance(tmp_path / "widget.lock")
    with qtbot.waitSignal(first.activated, timeout=5000):
        assert not second.acquire()
    first.release()
    third = SingleInstance(tmp_path / "widget.lock")
    assert third.acquire()
    third.release()
