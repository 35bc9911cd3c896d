"""Run the command line in-process against the real sandbox, with a throwaway home and keyring."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from harvest_widget.cli import main
from harvest_widget.paths import AppPaths
from harvest_widget.sandbox import Sandbox
from tests.memory_keyring import MemoryKeyring


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


class Cli:
    """Calls `main([...])` the way a shell would and collects exit code, stdout and stderr."""

    def __init__(self, capsys: pytest.CaptureFixture[str], sandbox: Sandbox, home: AppPaths) -> None:
        self.capsys = capsys
        self.sandbox = sandbox
        self.home = home
        self.outputs: list[str] = []

    def __call__(self, *argv: str, stdin: str = "") -> Result:
        self.capsys.readouterr()
        code = main(list(argv), stdin=io.StringIO(stdin))
        captured = self.capsys.readouterr()
        self.outputs.extend((captured.out, captured.err))
        return Result(code, captured.out, captured.err)

    def login(self, user: str = "admin", *extra: str) -> Result:
        person = self.sandbox.users[user]
        return self(
            "login", "--url", self.sandbox.url, "--email", person.email, "--password-stdin", *extra,
            stdin=person.password + "\n",
        )  # fmt: skip


@pytest.fixture
def cli(
    capsys: pytest.CaptureFixture[str], sandbox: Sandbox, home: AppPaths, memory_keyring: MemoryKeyring
) -> Iterator[Cli]:
    yield Cli(capsys, sandbox, home)


@pytest.fixture
def signed_in(cli: Cli) -> Cli:
    result = cli.login()
    assert result.code == 0, result.err
    return cli
