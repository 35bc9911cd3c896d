"""GUI test setup: offscreen Qt cannot raise windows or grab the keyboard for popups; say so once."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from pytestqt.qtbot import QtBot

from harvest_widget.credentials import CredentialStore
from harvest_widget.gui.account_source import AccountSource
from harvest_widget.gui.shell import Shell
from harvest_widget.gui.worker import DayView, EngineWorker, SignInRequest
from harvest_widget.paths import AppPaths
from harvest_widget.sandbox import Sandbox
from tests.memory_keyring import MemoryKeyring

OFFSCREEN_NOISE = (
    "This plugin does not support raise",
    "This plugin does not support grabbing the keyboard",
    "This plugin does not support setting window opacity",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/gui/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.qt_log_ignore(*OFFSCREEN_NOISE))


# ---- the real thing: sandbox over HTTP, SQLite cache in a temp home, the worker thread -----------
WAIT_MS = 10_000


def make_shell(
    home: AppPaths,
    keyring_backend: MemoryKeyring,
    tray_available: Callable[[], bool] = lambda: True,
    open_browser: Callable[[str], object] = lambda url: False,  # tests never open a real browser
) -> Shell:
    source = AccountSource(home, CredentialStore(keyring_backend), open_browser=open_browser)
    return Shell(EngineWorker(source, offline_retry_s=0.5), tray_available=tray_available)


def demo_sign_in(sandbox: Sandbox, user: str = "admin", password: str | None = None) -> SignInRequest:
    account = sandbox.users[user]
    return SignInRequest(server_url=sandbox.url, email=account.email, password=password or account.password)


@pytest.fixture
def shell(qtbot: QtBot, home: AppPaths, memory_keyring: MemoryKeyring, sandbox: Sandbox) -> Iterator[Shell]:
    """A signed-in widget (demo admin) showing today, its window visible."""
    app_shell = make_shell(home, memory_keyring)
    qtbot.addWidget(app_shell.window)
    with qtbot.waitSignal(app_shell.view_shown, timeout=WAIT_MS):
        app_shell.start(sign_in=demo_sign_in(sandbox))
    # Settled: synced, the week strip read, no sync running (the next one is minutes away).
    wait_view(
        qtbot,
        app_shell,
        lambda v: (
            v.shown.status.last_sync_at is not None
            and all(hours is not None for day, hours in v.week if day <= v.today.date)
        ),
    )
    qtbot.waitUntil(lambda: "Syncing" not in app_shell.window.status_line.text.text(), timeout=WAIT_MS)
    try:
        yield app_shell
    finally:
        app_shell.shutdown()


def wait_view(
    qtbot: QtBot, app_shell: Shell, condition: Callable[[DayView], bool], timeout: int = WAIT_MS
) -> DayView:
    """Wait until the window shows a view meeting `condition` (polling what is on screen)."""

    def met() -> bool:
        view = app_shell.window.current_view()
        return view is not None and condition(view)

    qtbot.waitUntil(met, timeout=timeout)
    view = app_shell.window.current_view()
    assert view is not None
    return view
