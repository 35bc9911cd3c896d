"""`--self-test`: passes against a healthy sandbox, fails loudly when Harvest misbehaves."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from harvest_widget.gui.crash import install_crash_handlers
from harvest_widget.gui.self_test import NOTES, SelfTest
from harvest_widget.gui.shell import Shell
from harvest_widget.paths import AppPaths
from harvest_widget.sandbox import Fault, Sandbox
from tests.gui.conftest import demo_sign_in, make_shell
from tests.memory_keyring import MemoryKeyring


@pytest.fixture
def bare_shell(qtbot: QtBot, home: AppPaths, memory_keyring: MemoryKeyring) -> Iterator[Shell]:
    app_shell = make_shell(home, memory_keyring)
    qtbot.addWidget(app_shell.window)
    try:
        yield app_shell
    finally:
        app_shell.shutdown()


def run(qtbot: QtBot, shell: Shell, sandbox: Sandbox, timeout_ms: int = 20_000) -> tuple[int, list[str]]:
    codes: list[int] = []
    lines: list[str] = []
    SelfTest(shell, sandbox, codes.append, out=lines.append, timeout_ms=timeout_ms)
    shell.start(sign_in=demo_sign_in(sandbox))
    qtbot.waitUntil(lambda: bool(codes), timeout=timeout_ms + 5_000)
    return codes[0], lines


def test_self_test_checks_sync_start_and_stop_against_the_sandbox(
    qtbot: QtBot, bare_shell: Shell, sandbox: Sandbox
) -> None:
    code, lines = run(qtbot, bare_shell, sandbox)
    assert code == 0, lines
    assert [line.split("(")[0].strip() for line in lines[:1]] == [
        f"self-test: ok   signed in to the sandbox at {sandbox.url} as user {sandbox.users['admin'].id}"
    ]
    assert any("entries, the same as the sandbox's" in line for line in lines)
    assert lines[-1] == "self-test: passed"
    ours = [e for e in sandbox.entries("admin") if e.notes == NOTES]
    assert len(ours) == 1
    assert not ours[0].running


def test_self_test_fails_when_harvest_rejects_the_sign_in(
    qtbot: QtBot, bare_shell: Shell, sandbox: Sandbox
) -> None:
    sandbox.faults.add(Fault(kind="status", status=401, path=r"/account/who_am_i"))
    code, lines = run(qtbot, bare_shell, sandbox, timeout_ms=10_000)
    assert code == 1
    assert lines[-1].startswith("self-test: FAIL sign-in failed:")


def test_self_test_reports_the_step_it_was_waiting_for_on_timeout(
    qtbot: QtBot, bare_shell: Shell, sandbox: Sandbox
) -> None:
    sandbox.faults.add(Fault(kind="latency", seconds=3.0, path=r"^/daily"))
    code, lines = run(qtbot, bare_shell, sandbox, timeout_ms=1_000)
    assert code == 1
    assert lines[-1] == "self-test: FAIL timed out waiting for: DAY_SYNCED"


def test_an_unhandled_exception_fails_the_self_test_with_its_traceback(
    qtbot: QtBot, bare_shell: Shell, sandbox: Sandbox, home: AppPaths
) -> None:
    codes: list[int] = []
    lines: list[str] = []
    self_test = SelfTest(bare_shell, sandbox, codes.append, out=lines.append)
    crashes = install_crash_handlers(home)
    crashes.dialogs_enabled = False
    crashes.crashed.connect(self_test.on_crashed)
    try:

        def broken_slot() -> None:
            raise KeyError("no such column")

        QTimer.singleShot(0, broken_slot)
        qtbot.waitUntil(lambda: bool(codes))
    finally:
        crashes.uninstall()
    assert codes == [1]
    assert "in broken_slot" in lines[0]
    assert lines[-1] == "self-test: FAIL unhandled exception: KeyError: 'no such column'"


def test_the_entry_point_runs_the_self_test_on_a_throwaway_home(tmp_path: Path) -> None:
    user_home = tmp_path / "user-home"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(user_home)}
    env.pop("HARVEST_WIDGET_HOME", None)
    for variable in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env.pop(variable, None)
    result = subprocess.run(
        [sys.executable, "-m", "harvest_widget", "--self-test"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("self-test: ok") == 4
    assert result.stdout.rstrip().endswith("self-test: passed")
    assert not user_home.exists(), "the self-test wrote into the user's profile"
