"""Engine additions over the real sandbox and a real cache file: finding a cached entry by id on any
day, discarding unsent changes (signing out), and keeping under the throttle window Harvest reports."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from harvest_widget.connection import open_engine
from harvest_widget.core.timesheet import EntryChanges, EntryDraft
from harvest_widget.credentials import Secrets
from harvest_widget.paths import AppPaths
from harvest_widget.sandbox import Sandbox
from harvest_widget.settings import Settings
from harvest_widget.sync import Engine
from tests.memory_keyring import MemoryKeyring
from tests.sync.harvest import PROJECT, TASK, cache_view, server_view


def _engine(sandbox: Sandbox, home: AppPaths, *, max_wait: float = 0.0) -> Engine:
    """An engine built the way the CLI and the tray build theirs (one cache and throttle file per
    home), for the sandbox's demo user; no network retries, so an outage pauses the outbox at once."""
    user = sandbox.users["admin"]
    settings = Settings(server_url=sandbox.url, email=user.email)
    return open_engine(home, settings, secrets=Secrets(password=user.password), max_wait=max_wait, retries=0)


def _signed_in(sandbox: Sandbox, home: AppPaths) -> Engine:
    engine = _engine(sandbox, home)
    engine.sign_in()
    engine.refresh_day(engine.today())
    return engine


# -- finding an entry by id --------------------------------------------------------------------------


def test_an_entry_400_days_old_is_found_by_its_local_and_its_server_id(
    sandbox: Sandbox, home: AppPaths, memory_keyring: MemoryKeyring
) -> None:
    engine = _signed_in(sandbox, home)
    long_ago = engine.today() - dt.timedelta(days=400)
    [local] = engine.create(EntryDraft(PROJECT, TASK, long_ago, "long ago", Decimal("1.5"))).entries
    queued = engine.entry(local.entry.id)
    assert queued is not None and queued.state == "pending" and queued.entry.spent_on == long_ago

    assert engine.sync().complete
    [on_server] = [e for e in sandbox.entries("admin") if e.notes == "long ago"]
    found = engine.entry(on_server.id)
    assert found is not None and found.state == "synced" and found.entry.spent_on == long_ago
    assert engine.entry(local.entry.id) == found  # the local id still names it

    engine.edit(on_server.id, EntryChanges(notes="long ago, edited"))
    assert engine.sync().complete
    assert [e.notes for e in sandbox.entries("admin") if e.id == on_server.id] == ["long ago, edited"]
    engine.delete(on_server.id)
    assert engine.entry(on_server.id) is None  # deleted locally: gone at once
    assert engine.entry(987654321) is None


# -- discarding unsent changes -----------------------------------------------------------------------


def test_discarding_unsent_changes_drops_them_and_harvests_version_comes_back(
    sandbox: Sandbox, home: AppPaths, memory_keyring: MemoryKeyring
) -> None:
    engine = _signed_in(sandbox, home)
    today = engine.today()
    first, second = (le.entry for le in engine.snapshot(today).entries[:2])
    before = server_view(sandbox.entries("admin"), today)
    sandbox.stop()
    engine.create(EntryDraft(PROJECT, TASK, today, "never sent", Decimal("1")))
    engine.edit(first.id, EntryChanges(notes="edited offline"))
    engine.delete(second.id)
    assert engine.sync().pending == 3

    assert engine.discard_unsynced() == 3
    assert engine.outbox() == () and engine.status().is_clean
    notes = {le.entry.id: le.entry.notes for le in engine.snapshot(today).entries}
    assert "never sent" not in notes.values()
    assert second.id in notes  # its delete is gone, so is its hiding

    sandbox.start()
    sandbox.clear_requests()
    assert engine.sync().complete
    assert [r for r in sandbox.requests if r.method != "GET"] == []
    assert server_view(sandbox.entries("admin"), today) == before
    assert cache_view(engine, today) == before  # the offline edit gave way to Harvest's notes
    assert engine.discard_unsynced() == 0


# -- Harvest's throttle window -----------------------------------------------------------------------


def test_a_smaller_throttle_window_learned_at_sign_in_is_obeyed_without_a_single_503(
    sandbox: Sandbox, home: AppPaths, memory_keyring: MemoryKeyring
) -> None:
    sandbox.set_throttle(5, 1.0)  # the client's default is 100 per 15 s: a burst would be refused
    engine = _engine(sandbox, home, max_wait=30.0)
    engine.sign_in()
    today = engine.today()
    for n in range(12):
        engine.create(EntryDraft(PROJECT, TASK, today, f"burst {n}", Decimal("0.1")))
    assert engine.sync().complete

    # A new session on the same home reuses the remembered window instead of asking again.
    later = _engine(sandbox, home, max_wait=30.0)
    for n in range(12, 24):
        later.create(EntryDraft(PROJECT, TASK, today, f"burst {n}", Decimal("0.1")))
    assert later.sync().complete

    assert [r for r in sandbox.requests if r.status == 503] == []
    asked = [r for r in sandbox.requests if r.path == "/account/rate_limit_status"]
    assert len(asked) == 1
    burst = [e.notes for e in sandbox.entries("admin") if e.notes.startswith("burst ")]
    assert sorted(burst) == sorted(f"burst {n}" for n in range(24))
