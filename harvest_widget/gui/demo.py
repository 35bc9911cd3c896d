"""`--demo`: a local sandbox Harvest on a free port, a throwaway home, and its demo sign-in."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

from harvest_widget.gui.worker import SignInRequest
from harvest_widget.paths import HOME_ENV
from harvest_widget.sandbox import Sandbox


class DemoKeyring(KeyringBackend):
    """Keeps the sandbox's practice password in memory: the demo never touches the real keychain."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self._items.pop((service, username), None) is None:
            raise PasswordDeleteError(username)


@dataclass
class Demo:
    sandbox: Sandbox
    home: Path
    keyring: DemoKeyring

    def sign_in_request(self) -> SignInRequest:
        user = self.sandbox.users["admin"]
        return SignInRequest(server_url=self.sandbox.url, email=user.email, password=user.password)

    def stop(self) -> None:
        self.sandbox.stop()
        shutil.rmtree(self.home, ignore_errors=True)


def start_demo() -> Demo:
    """Start the sandbox and point HARVEST_WIDGET_HOME at a fresh temporary folder."""
    home = Path(tempfile.mkdtemp(prefix="harvest-widget-demo-"))
    os.environ[HOME_ENV] = str(home)
    return Demo(sandbox=Sandbox().start(), home=home, keyring=DemoKeyring())
