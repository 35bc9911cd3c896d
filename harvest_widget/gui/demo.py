"""`--demo`: a local sandbox Harvest on a free port, a throwaway home, and its demo sign-in."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from harvest_widget.gui.session_keyring import SessionKeyring
from harvest_widget.gui.worker import SignInRequest
from harvest_widget.paths import HOME_ENV
from harvest_widget.sandbox import Sandbox


@dataclass
class Demo:
    sandbox: Sandbox
    home: Path
    keyring: SessionKeyring

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
    return Demo(sandbox=Sandbox().start(), home=home, keyring=SessionKeyring())
