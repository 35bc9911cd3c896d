"""A v2 login through `connection` (settings + keyring) drives the real engine against the sandbox.

The engine's own suite (tests/sync) runs every operation online, offline, throttled, with lost
replies and crashes over both APIs; these tests prove the settings + keyring path builds a working v2
engine, and that a running timer's edits never carry `hours`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter

import pytest

from harvest_widget.connection import NotSignedInError, open_engine, sign_in
from harvest_widget.core.timesheet import EntryChanges, EntryDraft
from harvest_widget.credentials import CredentialStore, Secrets
from harvest_widget.paths import AppPaths
from harvest_widget.sandbox import ManualClock, Sandbox
from harvest_widget.settings import Settings, load_settings
from harvest_widget.sync import Engine
from tests.memory_keyring import MemoryKeyring
from tests.sync.harvest import PROJECT, TASK

# The engine suite's own scenario and checks (written for v1), reused unchanged over v2.
from tests.sync.test_engine_sync import _assert_server_matches, _every_operation


@pytest.fixture
def engine(sandbox: Sandbox, home: AppPaths, memory_keyring: MemoryKeyring) -> Engine:
    admin = sandbox.users["admin"]
    settings = Settings(
        server_url=sandbox.url, api_version="v2", auth_kind="pat", account_id=admin.company.id
    )
    saved, whoami = sign_in(home, settings, Secrets(access_token=admin.access_token), max_wait=5.0)
    assert whoami.user_id == admin.id and saved.email == admin.email
    assert load_settings(home) == saved
    opened = open_engine(home, max_wait=0.0)
    opened.sign_in()
    opened.refresh_day(opened.today())
    return opened


def _v2_calls(sandbox: Sandbox) -> Counter[tuple[str, str]]:
    return Counter((r.method, r.path) for r in sandbox.requests if r.path.startswith("/v2/time_entries"))


def test_every_operation_reaches_v2_once_and_the_running_timer_never_gets_hours(
    engine: Engine, sandbox: Sandbox
) -> None:
    sandbox.clear_requests()
    _every_operation(engine, "online")
    assert not sandbox.requests
    assert engine.sync().complete
    _assert_server_matches(engine, sandbox, "online")
    assert _v2_calls(sandbox)["POST", "/v2/time_entries"] == 2
    timer = engine.start_new(EntryDraft(PROJECT, TASK, engine.today(), "running")).running
    assert timer is not None and engine.sync().complete
    sandbox.clear_requests()
    engine.edit(engine.server_id(timer.entry.id), EntryChanges(notes="running, renamed"))
    assert engine.sync().complete
    (patch,) = [json.loads(r.body) for r in sandbox.requests if r.method == "PATCH"]
    assert patch == {"notes": "running, renamed"}
    running = sandbox.world.running(sandbox.users["admin"])
    assert running is not None and running.notes == "running, renamed"


def test_v2_login_without_account_id_is_not_signed_in(home: AppPaths, memory_keyring: MemoryKeyring) -> None:
    settings = Settings(
        server_url="https://api.harvestapp.com", api_version="v2", auth_kind="pat", email="a@b.c"
    )
    with pytest.raises(NotSignedInError, match="account id"):
        open_engine(home, settings, CredentialStore(), secrets=Secrets(access_token="token"))


def test_harvest_id_login_renews_its_token_at_the_identity_host_and_keeps_it(
    home: AppPaths, memory_keyring: MemoryKeyring
) -> None:
    clock = ManualClock(dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC))
    with Sandbox(clock=clock) as sandbox:
        admin, client = sandbox.users["admin"], sandbox.oauth_client
        settings = Settings(
            server_url=sandbox.url,
            api_version="v2",
            auth_kind="oauth",
            oauth_client_id=client.client_id,
            account_id=admin.company.id,
        )
        secrets = Secrets(
            access_token=admin.access_token,
            refresh_token=admin.refresh_token,
            client_secret=client.client_secret,
        )
        saved, _ = sign_in(home, settings, secrets, max_wait=5.0)
        clock.advance(19 * 3600)  # the access token has expired
        engine = open_engine(home, max_wait=5.0)
        assert engine.sign_in().user_id == admin.id
        assert ("/api/v2/oauth2/token", 200) in [(r.path, r.status) for r in sandbox.requests]
        kept = CredentialStore().get(saved.account_key)
        assert kept is not None and kept.access_token not in (None, admin.access_token)
        assert kept.client_secret == client.client_secret
