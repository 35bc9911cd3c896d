"""The keyring of bench/gui_startup.py's child processes: the demo login's secret, from the environment.

Chosen through keyring's own `PYTHON_KEYRING_BACKEND` setting, so the measured widget reads its
secret the way it does for a user (the default keyring, on the worker thread, after the first
paint) and nothing is written to a real keychain.
"""

from __future__ import annotations

import os

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError, PasswordSetError

SECRETS_ENV = "HARVEST_WIDGET_BENCH_SECRETS"  # the keyring entry's text (Secrets as JSON)


class EnvironmentKeyring(KeyringBackend):
    priority = 1

    def get_password(self, service: str, username: str) -> str | None:
        return os.environ.get(SECRETS_ENV)

    def set_password(self, service: str, username: str, password: str) -> None:
        raise PasswordSetError("the benchmark's keyring is read-only")

    def delete_password(self, service: str, username: str) -> None:
        raise PasswordDeleteError(username)
