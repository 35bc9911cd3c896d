"""`harvest-widget sandbox` as people run it: a real process, its first lines, Ctrl-C."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from harvest_widget.sandbox.cli import main


@contextmanager
def _sandbox_process(*args: str) -> Iterator[tuple[subprocess.Popen[str], str, list[str]]]:
    """`python -m harvest_widget sandbox --port 0 ARGS`, its URL and first two lines; killed after."""
    with subprocess.Popen(
        [sys.executable, "-m", "harvest_widget", "sandbox", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as process:
        try:
            assert process.stdout is not None
            lines = [process.stdout.readline(), process.stdout.readline()]
            match = re.search(r"(http://127\.0\.0\.1:\d+)", lines[0])
            assert match, lines
            yield process, match[1], lines
        finally:
            if process.poll() is None:
                process.kill()


def test_prints_url_and_demo_credentials_then_serves_todays_entries() -> None:
    with _sandbox_process() as (process, url, lines):
        assert "demo-email" in lines[1] and "demo-password" in lines[1]
        response = requests.get(
            url + "/daily",
            auth=("demo-email", "demo-password"),
            headers={"Accept": "application/json"},
            timeout=5,
        )
        assert response.status_code == 200
        assert len(response.json()["day_entries"]) == 2
        process.send_signal(signal.SIGINT)  # Ctrl-C
        assert process.wait(timeout=10) == 0
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get(url + "/daily", timeout=5)


def test_starts_in_under_a_second() -> None:
    started = time.monotonic()
    with _sandbox_process() as (process, url, _):
        assert requests.get(url + "/account/rate_limit_status", timeout=5).status_code == 401
        assert time.monotonic() - started < 1.0  # interpreter start included (~0.1 s measured)
        process.terminate()  # SIGTERM stops it cleanly too
        assert process.wait(timeout=10) == 0


def test_options_reach_the_server(tmp_path: Path) -> None:
    data = tmp_path / "demo.json"
    args = ("--data", str(data), "--throttle", "2/60", "--fault", "kind=status,status=502,path=who_am_i")
    with _sandbox_process(*args) as (_, url, _lines):
        auth = ("demo-email", "demo-password")
        assert requests.get(url + "/account/who_am_i", auth=auth, timeout=5).status_code == 502
        assert requests.get(url + "/daily", auth=auth, timeout=5).status_code == 200
        assert requests.get(url + "/daily", auth=auth, timeout=5).status_code == 200
        assert requests.get(url + "/daily", auth=auth, timeout=5).status_code == 503
        assert data.exists()


@pytest.mark.parametrize(
    "argv", [["--throttle", "lots"], ["--throttle", "0/5"], ["--fault", "kind=explode"], ["--port", "x"]]
)
def test_bad_options_exit_2_with_a_message(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert "harvest-widget sandbox" in capsys.readouterr().err


def test_a_broken_data_file_exits_2_and_keeps_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "demo.json"
    data.write_text("garbage")
    assert main(["--data", str(data)]) == 2
    assert "Cannot read the sandbox data file" in capsys.readouterr().err
    assert data.read_text() == "garbage"
