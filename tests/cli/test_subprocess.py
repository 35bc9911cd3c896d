"""The real entry point in a separate process: `python -m harvest_widget ...` with its own home."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from harvest_widget.cli import EXIT_OK, EXIT_SAVED_LOCALLY
from harvest_widget.paths import HOME_ENV
from harvest_widget.sandbox import Sandbox
from tests.cli.file_keyring import FILE_ENV

ROOT = Path(__file__).resolve().parents[2]


def run(env: dict[str, str], *argv: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harvest_widget", *argv],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
        check=False,
    )


def test_the_installed_entry_point_logs_in_adds_and_reads_back(sandbox: Sandbox, tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {
        **os.environ,
        HOME_ENV: str(home),
        "PYTHON_KEYRING_BACKEND": "tests.cli.file_keyring.FileKeyring",
        FILE_ENV: str(tmp_path / "keyring.json"),
        "PYTHONPATH": str(ROOT),
    }
    user = sandbox.users["admin"]
    login = run(
        env, "login", "--url", sandbox.url, "--email", user.email, "--password-stdin", stdin=user.password
    )
    assert login.returncode == EXIT_OK, login.stderr
    assert "Signed in as Dana Demo" in login.stdout

    added = run(env, "add", "ACME-01", "dev", "1h30", "--notes", "from-a-subprocess")
    assert added.returncode == EXIT_OK, added.stderr
    [entry] = [e for e in sandbox.entries("admin") if e.notes == "from-a-subprocess"]
    assert str(entry.hours) == "1.50"

    day = run(env, "day", "--json")
    assert day.returncode == EXIT_OK, day.stderr
    assert any(e["id"] == entry.id and e["hours"] == "1.50" for e in json.loads(day.stdout)["entries"])

    # A reader that goes away (`| head -1`) is not an error.
    reader_gone = subprocess.Popen(
        [sys.executable, "-m", "harvest_widget", "projects", "--json", "--cached"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=ROOT,
    )
    assert reader_gone.stdout is not None and reader_gone.stderr is not None
    reader_gone.stdout.close()
    assert reader_gone.stderr.read() == b""
    reader_gone.stderr.close()
    assert reader_gone.wait(timeout=60) == EXIT_OK

    sandbox.stop()
    offline = run(env, "rm", str(entry.id))
    assert offline.returncode == EXIT_SAVED_LOCALLY
    assert offline.stderr.count("\n") == 1 and "Traceback" not in offline.stderr
    sandbox.start()
    assert run(env, "sync").returncode == EXIT_OK
    assert [e for e in sandbox.entries("admin") if e.notes == "from-a-subprocess"] == []

    secret = user.password.encode()
    for path in home.rglob("*"):
        assert not path.is_file() or secret not in path.read_bytes(), path
    assert (home / "logs").is_dir() and any((home / "logs").iterdir())


def test_output_a_console_cannot_encode_is_replaced_not_fatal(sandbox: Sandbox, tmp_path: Path) -> None:
    """Windows writes redirected output in the ANSI code page (cp1252), which has no Japanese."""
    env = {
        **os.environ,
        HOME_ENV: str(tmp_path / "home"),
        "PYTHON_KEYRING_BACKEND": "tests.cli.file_keyring.FileKeyring",
        FILE_ENV: str(tmp_path / "keyring.json"),
        "PYTHONPATH": str(ROOT),
        "PYTHONIOENCODING": "cp1252",
    }
    user = sandbox.users["admin"]
    login = run(
        env, "login", "--url", sandbox.url, "--email", user.email, "--password-stdin", stdin=user.password
    )
    assert login.returncode == EXIT_OK, login.stderr
    for argv in (["add", "ACME-01", "dev", "0:30", "--notes", "会議 notes"], ["day"]):
        done = subprocess.run(
            [sys.executable, "-m", "harvest_widget", *argv],
            capture_output=True,
            env=env,
            cwd=ROOT,
            timeout=60,
            check=False,
        )
        assert done.returncode == EXIT_OK, done.stderr.decode("cp1252")
        assert "?? notes" in done.stdout.decode("cp1252")
