"""Starting `engine_process` children on the test's home and sandbox."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from harvest_widget.paths import AppPaths
from harvest_widget.sandbox import Sandbox
from tests.sync.harvest import Api

REPO = Path(__file__).resolve().parents[2]


def spawn(
    home: AppPaths, sandbox: Sandbox, *args: str, calls: int = 100, api: Api = "v1"
) -> subprocess.Popen[str]:
    """A child engine signed in as the sandbox's admin over `api` (v1: password, v2: access token)."""
    user = sandbox.users["admin"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.sync.engine_process",
            "--home",
            str(home.data_dir.parent),
            "--url",
            sandbox.url,
            "--email",
            user.email,
            "--secret",
            user.password if api == "v1" else user.access_token,
            "--api",
            api,
            "--account-id",
            str(user.company.id),
            "--calls",
            str(calls),
            *args,
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
