"""Run the command line in-process against the real sandbox, with a throwaway home and keyring.

`signed_in` runs each test twice: signed in over API v1 (email + password) and over API v2 (personal
access token + account id); `Cli` knows what differs between the two on the wire.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import pytest

from harvest_widget.cli import main
from harvest_widget.paths import AppPaths
from harvest_widget.sandbox import Fault, Sandbox
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
        self.api: Literal["v1", "v2"] = "v1"  # what `login()` signs in with

    def __call__(self, *argv: str, stdin: str = "") -> Result:
        self.capsys.readouterr()
        code = main(list(argv), stdin=io.StringIO(stdin))
        captured = self.capsys.readouterr()
        self.outputs.extend((captured.out, captured.err))
        return Result(code, captured.out, captured.err)

    def login(self, user: str = "admin", *extra: str) -> Result:
        person = self.sandbox.users[user]
        if self.api == "v2":
            return self(
                "login", "--url", self.sandbox.url, "--api", "v2", "--account-id", str(person.company.id),
                "--token-stdin", *extra, stdin=person.access_token + "\n",
            )  # fmt: skip
        return self(
            "login", "--url", self.sandbox.url, "--email", person.email, "--password-stdin", *extra,
            stdin=person.password + "\n",
        )  # fmt: skip

    def secret(self, user: str = "admin") -> str:
        """What `login()` signs `user` in with: v1's password, v2's access token."""
        person = self.sandbox.users[user]
        return person.password if self.api == "v1" else person.access_token

    def stale_secret(self) -> str:
        """A keyring entry whose secret Harvest no longer accepts."""
        return json.dumps({"password" if self.api == "v1" else "access_token": "no-longer-valid"})

    def creates(self) -> int:
        """How many entry creates reached the sandbox (v1 `POST /daily/add`, v2 `POST /v2/time_entries`)."""
        path = "/daily/add" if self.api == "v1" else "/v2/time_entries"
        return sum(r.method == "POST" and r.path == path for r in self.sandbox.requests)

    @property
    def throttle_status(self) -> int:
        """Harvest's throttle answer: v1's 503, v2's 429."""
        return 503 if self.api == "v1" else 429

    def throttle(self, retry_after: int, **filters: Any) -> Fault:
        """Harvest's throttle answer with `Retry-After`, once."""
        return Fault(
            "status",
            status=self.throttle_status,
            headers={"Retry-After": str(retry_after)},
            times=1,
            **filters,
        )


@pytest.fixture
def cli(
    capsys: pytest.CaptureFixture[str], sandbox: Sandbox, home: AppPaths, memory_keyring: MemoryKeyring
) -> Iterator[Cli]:
    yield Cli(capsys, sandbox, home)


@pytest.fixture(params=["v1", "v2"])
def api(request: pytest.FixtureRequest) -> Literal["v1", "v2"]:
    value: Literal["v1", "v2"] = request.param
    return value


@pytest.fixture
def signed_in(cli: Cli, api: Literal["v1", "v2"]) -> Cli:
    cli.api = api
    result = cli.login()
    assert result.code == 0, result.err
    return cli
