"""Two processes on one home (the widget and the command line) never send an op twice."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path

from harvest_widget.cli import EXIT_OK, EXIT_SAVED_LOCALLY
from harvest_widget.core.timesheet import EntryDraft
from harvest_widget.paths import HOME_ENV, AppPaths
from harvest_widget.sandbox import Sandbox
from harvest_widget.store import Store
from tests.cli.file_keyring import FILE_ENV
from tests.sync.harvest import PROJECT, TASK, Api, Wire, engine_for_user
from tests.sync.processes import REPO, spawn

PER_PROCESS = 15
CLI_ADDS = 6


def test_two_processes_draining_one_outbox_send_each_op_once(
    home: AppPaths, sandbox: Sandbox, api: Api, wire: Wire
) -> None:
    engine = engine_for_user(Store(home.cache_db), home.data_dir, sandbox, api)
    engine.sign_in()
    today = engine.today()
    # A backlog queued while offline, which both processes find when they start.
    for n in range(PER_PROCESS):
        engine.create(EntryDraft(PROJECT, TASK, today, f"backlog-{n}", Decimal("0.5")))
    sandbox.clear_requests()

    children = [spawn(home, sandbox, "drain", tag, str(PER_PROCESS), api=api) for tag in ("widget", "cli")]
    for child in children:
        _, err = child.communicate(timeout=90)
        assert child.returncode == 0, err

    assert wire.calls()["create"] == 3 * PER_PROCESS  # one request per queued create, none sent twice
    notes = Counter(e.notes for e in sandbox.entries("admin"))
    expected = {f"{tag}-{n}" for tag in ("backlog", "widget", "cli") for n in range(PER_PROCESS)}
    assert {note: notes[note] for note in expected} == dict.fromkeys(expected, 1)
    assert engine.status().is_clean
    assert not [r for r in sandbox.requests if r.status == wire.throttle_status]  # one shared budget


def test_the_command_line_and_the_widget_on_one_home_send_each_op_once(
    sandbox: Sandbox, tmp_path: Path, api: Api, wire: Wire
) -> None:
    home = tmp_path / "home"
    env = {
        **os.environ,
        HOME_ENV: str(home),
        "PYTHON_KEYRING_BACKEND": "tests.cli.file_keyring.FileKeyring",
        FILE_ENV: str(tmp_path / "keyring.json"),
        "PYTHONPATH": str(REPO),
    }
    user = sandbox.users["admin"]
    if api == "v1":
        login = _cli(
            env, "login", "--url", sandbox.url, "--email", user.email, "--password-stdin", stdin=user.password
        )
    else:
        login = _cli(
            env, "login", "--url", sandbox.url, "--api", "v2", "--account-id", str(user.company.id),
            "--token-stdin", stdin=user.access_token,
        )  # fmt: skip
    assert login.returncode == EXIT_OK, login.stderr
    sandbox.clear_requests()

    widget = subprocess.Popen(
        [sys.executable, "-m", "tests.sync.engine_process", "--login", "drain", "widget", str(PER_PROCESS)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    for n in range(CLI_ADDS):
        added = _cli(env, "add", "ACME-01", "dev", "0:15", "--notes", f"cli-{n}")
        assert added.returncode in (EXIT_OK, EXIT_SAVED_LOCALLY), added.stderr
    _, err = widget.communicate(timeout=90)
    assert widget.returncode == 0, err
    assert _cli(env, "sync").returncode == EXIT_OK

    assert wire.calls()["create"] == PER_PROCESS + CLI_ADDS
    notes = Counter(e.notes for e in sandbox.entries("admin"))
    expected = {f"widget-{n}" for n in range(PER_PROCESS)} | {f"cli-{n}" for n in range(CLI_ADDS)}
    assert {note: notes[note] for note in expected} == dict.fromkeys(expected, 1)


def _cli(env: dict[str, str], *argv: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harvest_widget", *argv],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=60,
        check=False,
    )
