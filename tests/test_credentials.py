from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backends.fail
import keyring.backends.null
import keyring.errors
import pytest
from keyring.backend import KeyringBackend

from harvest_widget.credentials import (
    INSECURE_OPT_IN_ENV,
    SERVICE,
    CredentialStore,
    KeyringUnavailableError,
    Secrets,
)
from harvest_widget.log import setup_logging
from tests.memory_keyring import MemoryKeyring

ACCOUNT = "basic:ada@example.com@https://acme.harvestapp.com"


class RaisingKeyring(KeyringBackend):
    """A backend that fails the way real ones do (locked collection, broken D-Bus...)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self, error: keyring.errors.KeyringError) -> None:
        super().__init__()
        self.error = error

    def get_password(self, service: str, username: str) -> str | None:
        raise self.error

    def set_password(self, service: str, username: str, password: str) -> None:
        raise self.error

    def delete_password(self, service: str, username: str) -> None:
        raise self.error


@pytest.fixture
def fail_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        yield
    finally:
        keyring.set_keyring(previous)


def test_secrets_round_trip_per_account(memory_keyring: MemoryKeyring) -> None:
    store = CredentialStore()
    store.set(ACCOUNT, Secrets(password="s3cret-pass"))
    store.set("oauth:other", Secrets(access_token="tok-1234", refresh_token="ref-5678"))
    assert store.get(ACCOUNT) == Secrets(password="s3cret-pass")
    assert store.get("oauth:other") == Secrets(access_token="tok-1234", refresh_token="ref-5678")
    assert {key[0] for key in memory_keyring.store} == {SERVICE}


def test_get_unknown_account_is_none_and_delete_is_idempotent(memory_keyring: MemoryKeyring) -> None:
    store = CredentialStore()
    assert store.get(ACCOUNT) is None
    store.set(ACCOUNT, Secrets(password="s3cret-pass"))
    store.delete(ACCOUNT)
    store.delete(ACCOUNT)
    assert store.get(ACCOUNT) is None
    assert memory_keyring.store == {}


def test_foreign_entry_under_our_name_is_ignored(memory_keyring: MemoryKeyring) -> None:
    memory_keyring.set_password(SERVICE, ACCOUNT, "plain old password")
    assert CredentialStore().get(ACCOUNT) is None


def test_repr_never_shows_a_secret() -> None:
    secrets = Secrets(password="s3cret-pass", access_token="tok-1234")
    assert "s3cret" not in repr(secrets)
    assert "tok-1234" not in str(secrets)
    assert "password" in repr(secrets)


def test_real_fail_backend_becomes_one_sentence_telling_what_to_do(fail_keyring: None) -> None:
    store = CredentialStore()
    for operation in (lambda: store.get(ACCOUNT), lambda: store.set(ACCOUNT, Secrets(password="x1234"))):
        with pytest.raises(KeyringUnavailableError) as caught:
            operation()
        message = caught.value.message
        assert message.count(".") == 1 and message.endswith(".")
        assert "install" in message and "keyring" in message


@pytest.mark.parametrize(
    ("error", "hint"),
    [
        (keyring.errors.KeyringLocked("locked"), "unlock it"),
        (keyring.errors.InitError("no dbus"), "could not be opened"),
        (keyring.errors.PasswordSetError("nope"), "refused"),
        (keyring.errors.NoKeyringError("none"), "No system keyring"),
    ],
)
def test_each_keyring_error_is_translated(error: keyring.errors.KeyringError, hint: str) -> None:
    store = CredentialStore(RaisingKeyring(error))
    with pytest.raises(KeyringUnavailableError, match=hint):
        store.set(ACCOUNT, Secrets(password="s3cret-pass"))


def test_null_backend_is_refused_unless_opted_in() -> None:
    backend = keyring.backends.null.Keyring()
    with pytest.raises(KeyringUnavailableError, match="not a secure store") as caught:
        CredentialStore(backend, environ={}).set(ACCOUNT, Secrets(password="s3cret-pass"))
    assert INSECURE_OPT_IN_ENV in caught.value.message
    accepted = CredentialStore(backend, environ={INSECURE_OPT_IN_ENV: "1"})
    accepted.set(ACCOUNT, Secrets(password="s3cret-pass"))
    assert accepted.get(ACCOUNT) is None  # null drops it: that is why it is refused by default


def test_plaintext_file_backend_is_refused_even_inside_a_chain() -> None:
    plaintext = type("PlaintextKeyring", (MemoryKeyring,), {"__module__": "keyrings.alt.file"})()
    chain = type("ChainerBackend", (MemoryKeyring,), {"backends": [MemoryKeyring(), plaintext]})()
    with pytest.raises(KeyringUnavailableError, match=r"keyrings\.alt\.file\.PlaintextKeyring"):
        CredentialStore(chain, environ={}).get(ACCOUNT)


def test_secrets_never_reach_the_log(memory_keyring: MemoryKeyring, tmp_path: Path) -> None:
    handler = setup_logging(tmp_path / "app.log")
    try:
        store = CredentialStore()
        store.set(ACCOUNT, Secrets(password="pw-that-leaks?"))
        CredentialStore().get(ACCOUNT)
        logging.getLogger("anything").warning("oops, a caller logged pw-that-leaks? by mistake")
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
    text = (tmp_path / "app.log").read_text()
    assert "stored secrets" in text
    assert "pw-that-leaks?" not in text


class OverlapDetectingKeyring(MemoryKeyring):
    """Records how many calls were inside the backend at once (real backends are not thread-safe)."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = 0
        self.most_inside = 0
        self.lock = threading.Lock()

    def get_password(self, service: str, username: str) -> str | None:
        with self.lock:
            self.inside += 1
            self.most_inside = max(self.most_inside, self.inside)
        time.sleep(0.0005)  # widen the window a missing lock would let two threads into
        with self.lock:
            self.inside -= 1
        return super().get_password(service, username)


def test_calls_are_serialised_across_threads() -> None:
    backend = OverlapDetectingKeyring()
    store = CredentialStore(backend)
    threads = [threading.Thread(target=lambda: [store.get(ACCOUNT) for _ in range(40)]) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert backend.most_inside == 1
