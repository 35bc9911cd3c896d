"""Starting `engine_process` children on the test's home and sandbox."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from harvest_widget.paths import AppPaths
from harvest_widget.sandbox import Sandbox

REPO = Path(__file__).resolve().parents[2]


def spawn(home: AppPaths, sandbox: Sandbox, *args: str, calls: int = 100) -> subprocess.Popen[str]:
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
            "--password",
            user.password,
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
