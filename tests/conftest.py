"""Shared fixtures: a throwaway home, an in-memory keyring, the local Harvest sandbox."""

from __future__ import annotations

import os

# Without a display Qt would try xcb and abort the whole run; tests run offscreen unless told otherwise.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import keyring
import pytest

from harvest_widget import log
from harvest_widget.paths import HOME_ENV, AppPaths, app_paths
from tests.memory_keyring import MemoryKeyring

if TYPE_CHECKING:
    from harvest_widget.sandbox import Sandbox


@pytest.fixture(autouse=True)
def fresh_redactions(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with no registered secrets: one test's fake secret ("token") must not
    redact words in another test's log lines."""
    monkeypatch.setattr(log, "_secrets", set())


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppPaths:
    """HARVEST_WIDGET_HOME pointed at a fresh folder: no test touches a real profile."""
    root = tmp_path / "home"
    monkeypatch.setenv(HOME_ENV, str(root))
    return app_paths().ensure()


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A local Harvest on an ephemeral loopback port (wall clock, default throttle), stopped after."""
    from harvest_widget.sandbox import Sandbox

    server = Sandbox().start()
    try:
        yield server
    finally:
        server.stop()
