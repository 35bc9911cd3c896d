"""The one SQLite file behind the cache and the outbox.

WAL journal (readers never wait for the writer), `synchronous=FULL` (a committed operation survives a
power cut), owner-only permissions (the cache holds the user's timesheet), schema migrations by
`PRAGMA user_version` with a copy of the file taken before each one. Every user operation is one
`transaction()`: `BEGIN IMMEDIATE` takes the write lock up front, so two processes on one home
serialise instead of failing half-way.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

from harvest_widget.store.migrations import MIGRATIONS

log = logging.getLogger(__name__)

_BUSY_TIMEOUT_MS = 15_000


class StoreError(Exception):
    """The cache file cannot be opened, is damaged, or is newer than this app understands; the
    message is one sentence for the user."""


class Store:
    """An open cache file. Safe to share between threads (calls are serialised by a lock)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        _create_owner_only(path)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, timeout=_BUSY_TIMEOUT_MS / 1000
        )
        self._conn.row_factory = sqlite3.Row
        try:
            self._conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = FULL")
            self._migrate()
        except sqlite3.DatabaseError as error:
            self._conn.close()
            if isinstance(error, sqlite3.OperationalError) and "locked" in str(error):
                raise StoreError(f"The cache {path} is busy in another process; try again.") from error
            raise StoreError(
                f"The cache {path} is damaged ({error}); move it away and sign in again to rebuild it."
            ) from error

    @property
    def schema_version(self) -> int:
        return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic unit of work holding the write lock; rolled back if the block raises."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    @contextlib.contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """A consistent read (one snapshot of the file) that never blocks a writer."""
        with self._lock:
            self._conn.execute("BEGIN")
            try:
                yield self._conn
            finally:
                self._conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _migrate(self) -> None:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                version = self.schema_version
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            if version > len(MIGRATIONS):
                raise StoreError(
                    f"The cache {self.path} was written by a newer version of harvest-widget "
                    f"(schema {version}); update the app or move the file away."
                )
            for number in range(version + 1, len(MIGRATIONS) + 1):
                if number > 1:
                    self._back_up(number - 1)
                with self.transaction() as conn:
                    # Another process may have migrated between our check and the write lock.
                    if self.schema_version >= number:
                        continue
                    for statement in _statements(MIGRATIONS[number - 1]):
                        conn.execute(statement)
                    conn.execute(f"PRAGMA user_version = {number}")
                log.info("cache schema migrated to version %d", number)

    def _back_up(self, version: int) -> Path:
        target = self.path.with_name(f"{self.path.name}.v{version}.bak")
        _create_owner_only(target)
        with contextlib.closing(sqlite3.connect(target)) as copy:
            self._conn.backup(copy)
        log.info("cache backed up to %s before migrating", target)
        return target


def _create_owner_only(path: Path) -> None:
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (executescript would commit our transaction)."""
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    return [s for s in statements if s]
