"""Passwords and tokens, only ever in the OS keyring.

`CredentialStore` keeps one keyring entry per Harvest login (service "harvest-widget", user name =
`Settings.account_key`) holding that login's `Secrets` as a small JSON object. When no usable keyring
exists it raises `KeyringUnavailableError` with a sentence saying what to do; it never falls back to a
file. Backends that are files in disguise (`keyrings.alt`) or that drop secrets (`null`) are refused as
"not a secure store" unless the user opts in with `HARVEST_WIDGET_INSECURE_KEYRING=1`.
Every secret read or written is registered with `log.redact_value`, so no log line can show it.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

import keyring
import keyring.errors
from keyring.backend import KeyringBackend

from harvest_widget.log import redact_value

log = logging.getLogger(__name__)

SERVICE = "harvest-widget"
INSECURE_OPT_IN_ENV = "HARVEST_WIDGET_INSECURE_KEYRING"
_INSECURE_MODULES = ("keyrings.alt", "keyring.backends.null")

_T = TypeVar("_T")


class KeyringUnavailableError(Exception):
    """No usable, secure keyring; `message` is one sentence telling the user what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True, repr=False)
class Secrets:
    """The secrets of one login: a password (Basic) or tokens (OAuth, personal access token).

    `expires_at` (Unix time) is when a Harvest ID access token expires: not a secret, but kept with
    the token it describes so a restart renews the token before it expires, not after a 401.
    """

    password: str | None = None
    access_token: str | None = None
    refresh_token: str | None = None
    client_secret: str | None = None
    expires_at: float | None = None

    def __repr__(self) -> str:
        present = [name for name, value in asdict(self).items() if value]
        return f"Secrets(<{', '.join(present) or 'empty'} hidden>)"

    def values(self) -> tuple[str, ...]:
        """The secret texts (for redaction); `expires_at` is not one."""
        return tuple(value for value in asdict(self).values() if value and isinstance(value, str))


def _describe(backend: KeyringBackend) -> str:
    return f"{type(backend).__module__}.{type(backend).__name__}"


def _insecure_parts(backend: KeyringBackend) -> list[str]:
    children: list[KeyringBackend] = list(getattr(backend, "backends", ()) or ())
    found = [_describe(backend)] if type(backend).__module__.startswith(_INSECURE_MODULES) else []
    for child in children:
        found.extend(_insecure_parts(child))
    return found


def _translate(error: keyring.errors.KeyringError) -> KeyringUnavailableError:
    if isinstance(error, keyring.errors.NoKeyringError):
        message = (
            "No system keyring is available to keep your password safe; "
            "install and start one (such as GNOME Keyring or KWallet), then try again."
        )
    elif isinstance(error, keyring.errors.KeyringLocked):
        message = "The system keyring is locked; unlock it, then try again."
    elif isinstance(error, keyring.errors.InitError):
        message = "The system keyring could not be opened; check that it is running, then try again."
    else:
        message = (
            "The system keyring refused the request; check that it is running and unlocked, then try again."
        )
    return KeyringUnavailableError(message)


class CredentialStore:
    """Reads and writes `Secrets` in the keyring; safe to share between threads.

    `backend=None` uses whatever `keyring` selects at the time of each call (tests install an
    in-memory backend with `keyring.set_keyring`).
    """

    def __init__(
        self, backend: KeyringBackend | None = None, *, environ: Mapping[str, str] | None = None
    ) -> None:
        self._backend = backend
        self._environ = os.environ if environ is None else environ
        self._lock = threading.Lock()

    def get(self, account_key: str) -> Secrets | None:
        """The login's secrets, or None when none are stored."""
        text = self._call(lambda b: b.get_password(SERVICE, account_key))
        if not text:
            return None
        try:
            fields: Any = json.loads(text)
            secrets = Secrets(**{k: v for k, v in fields.items() if k in Secrets.__slots__})
        except (ValueError, TypeError, AttributeError):
            log.warning("keyring entry for %s is not ours; ignoring it", account_key)
            return None
        for value in secrets.values():
            redact_value(value)
        return secrets

    def set(self, account_key: str, secrets: Secrets) -> None:
        for value in secrets.values():
            redact_value(value)
        text = json.dumps({k: v for k, v in asdict(secrets).items() if v})
        self._call(lambda b: b.set_password(SERVICE, account_key, text))
        log.info("stored secrets for %s in %s", account_key, self.backend_name())

    def delete(self, account_key: str) -> None:
        """Forget the login's secrets; nothing stored is not an error."""
        try:
            self._call(lambda b: b.delete_password(SERVICE, account_key))
        except _NothingToDelete:
            return
        log.info("deleted secrets for %s", account_key)

    def backend_name(self) -> str:
        return _describe(self._current())

    def _current(self) -> KeyringBackend:
        backend = self._backend or keyring.get_keyring()
        insecure = _insecure_parts(backend)
        if insecure and self._environ.get(INSECURE_OPT_IN_ENV) != "1":
            raise KeyringUnavailableError(
                f"The keyring backend {insecure[0]} is not a secure store; install a system keyring, "
                f"or set {INSECURE_OPT_IN_ENV}=1 to accept it."
            )
        return backend

    def _call(self, operation: Callable[[KeyringBackend], _T]) -> _T:
        with self._lock, _translated_errors():
            return operation(self._current())


class _NothingToDelete(Exception):
    pass


@contextmanager
def _translated_errors() -> Iterator[None]:
    try:
        yield
    except keyring.errors.PasswordDeleteError as error:
        raise _NothingToDelete from error
    except keyring.errors.KeyringError as error:
        log.warning("keyring failed: %s: %s", type(error).__name__, error)
        raise _translate(error) from error
