"""The cache file: owner-only, WAL, migrations with a backup first, atomic transactions."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest

from harvest_widget.paths import AppPaths
from harvest_widget.store import Store, database
from harvest_widget.store.database import StoreError
from harvest_widget.store.migrations import MIGRATIONS


def test_new_cache_is_owner_only_in_wal_mode_at_the_latest_schema(home: AppPaths) -> None:
    with Store(home.cache_db) as store:
        assert store.schema_version == len(MIGRATIONS)
        with store.transaction() as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            conn.execute("INSERT INTO meta (account, key, value) VALUES ('', 'k', 'v')")
        journal = home.cache_db.with_name(home.cache_db.name + "-wal")
        assert stat.S_IMODE(journal.stat().st_mode) == 0o600
    assert stat.S_IMODE(home.cache_db.stat().st_mode) == 0o600


def test_reopening_an_existing_cache_keeps_its_rows(home: AppPaths) -> None:
    with Store(home.cache_db) as store, store.transaction() as conn:
        conn.execute("INSERT INTO meta (account, key, value) VALUES ('', 'k', 'v')")
    with Store(home.cache_db) as store, store.reading() as conn:
        assert conn.execute("SELECT value FROM meta WHERE key = 'k'").fetchone()[0] == "v"


def test_a_failing_transaction_leaves_nothing_behind(home: AppPaths) -> None:
    with Store(home.cache_db) as store:
        with pytest.raises(RuntimeError), store.transaction() as conn:
            conn.execute("INSERT INTO meta (account, key, value) VALUES ('', 'k', 'v')")
            raise RuntimeError("boom")
        with store.reading() as conn:
            assert conn.execute("SELECT count(*) FROM meta").fetchone()[0] == 0


def test_migration_backs_up_the_old_file_before_changing_it(
    home: AppPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store(home.cache_db) as store, store.transaction() as conn:
        conn.execute("INSERT INTO meta (account, key, value) VALUES ('', 'before', 'kept')")
    newer = (*MIGRATIONS, "ALTER TABLE meta ADD COLUMN note TEXT;")
    monkeypatch.setattr(database, "MIGRATIONS", newer)

    with Store(home.cache_db) as store:
        assert store.schema_version == len(newer)
        with store.reading() as conn:
            assert conn.execute("SELECT value, note FROM meta").fetchone()[:] == ("kept", None)

    backup = home.cache_db.with_name(f"{home.cache_db.name}.v{len(MIGRATIONS)}.bak")
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    with sqlite3.connect(backup) as copy:
        assert copy.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert [r[1] for r in copy.execute("PRAGMA table_info(meta)")] == ["account", "key", "value"]


def test_a_cache_from_a_newer_version_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(StoreError, match="newer version"):
        Store(path)


def test_a_damaged_cache_file_is_a_clear_error_and_is_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    path.write_bytes(b"this is not a database, it is a text file someone saved here" * 100)
    before = path.read_bytes()
    with pytest.raises(StoreError, match="damaged"):
        Store(path)
    assert path.read_bytes() == before
