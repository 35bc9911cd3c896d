"""The cache schema as an ordered list of migrations; `PRAGMA user_version` is how many ran.

Never edit a migration that has shipped: append a new one. Each runs in its own transaction after
`Store` has copied the database file aside (see `Store._migrate`).
"""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    # 1: the first schema.
    """
    CREATE TABLE accounts (
        account TEXT PRIMARY KEY,
        whoami TEXT NOT NULL,           -- JSON of core.account.WhoAmI
        updated_at TEXT NOT NULL
    );
    CREATE TABLE days (
        account TEXT NOT NULL,
        spent_on TEXT NOT NULL,         -- ISO date
        fetched_at TEXT,                -- NULL: known stale, refresh it
        PRIMARY KEY (account, spent_on)
    );
    CREATE TABLE entries (
        account TEXT NOT NULL,
        id INTEGER NOT NULL,            -- server id, or negative local id until the server has it
        spent_on TEXT NOT NULL,
        project_id INTEGER NOT NULL,
        task_id INTEGER NOT NULL,
        hours TEXT NOT NULL,            -- Decimal; for a running timer: as of anchor_mono/anchor_at
        notes TEXT NOT NULL DEFAULT '',
        user_id INTEGER,
        client_name TEXT NOT NULL DEFAULT '',
        project_name TEXT NOT NULL DEFAULT '',
        task_name TEXT NOT NULL DEFAULT '',
        hours_without_timer TEXT,
        timer_started_at TEXT,
        started_at TEXT,
        ended_at TEXT,
        is_locked INTEGER NOT NULL DEFAULT 0,
        locked_reason TEXT,
        created_at TEXT,
        updated_at TEXT,
        running INTEGER NOT NULL DEFAULT 0,
        anchor_mono REAL,               -- time.monotonic() when `hours` was true (running timers)
        anchor_at TEXT,                 -- the UTC wall time of the same moment (after a reboot)
        hidden INTEGER NOT NULL DEFAULT 0,  -- deleted locally, delete not yet on the server
        PRIMARY KEY (account, id)
    );
    CREATE INDEX entries_by_day ON entries (account, spent_on);
    CREATE INDEX entries_running ON entries (account) WHERE running = 1;
    CREATE TABLE projects (
        account TEXT NOT NULL,
        id INTEGER NOT NULL,
        position INTEGER NOT NULL,
        name TEXT NOT NULL,
        code TEXT NOT NULL DEFAULT '',
        client_name TEXT NOT NULL DEFAULT '',
        client_id INTEGER,
        billable INTEGER NOT NULL DEFAULT 1,
        PRIMARY KEY (account, id)
    );
    CREATE TABLE tasks (
        account TEXT NOT NULL,
        project_id INTEGER NOT NULL,
        id INTEGER NOT NULL,
        position INTEGER NOT NULL,
        name TEXT NOT NULL,
        billable INTEGER NOT NULL DEFAULT 1,
        PRIMARY KEY (account, project_id, id)
    );
    CREATE TABLE outbox (
        op_id INTEGER PRIMARY KEY AUTOINCREMENT,
        account TEXT NOT NULL,
        kind TEXT NOT NULL,             -- create | start | stop | update | delete
        entry_id INTEGER NOT NULL,      -- rewritten from local to server id when that is known
        payload TEXT NOT NULL,          -- JSON
        created_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        state TEXT NOT NULL DEFAULT 'pending',  -- pending | in_flight | conflict | failed
        maybe_applied INTEGER NOT NULL DEFAULT 0,  -- a reply was lost: check the server first
        claimed_by TEXT,
        lease_until REAL                -- epoch seconds; an expired in_flight claim is reconciled
    );
    CREATE INDEX outbox_by_account ON outbox (account, state, op_id);
    CREATE TABLE id_map (
        account TEXT NOT NULL,
        local_id INTEGER NOT NULL,
        server_id INTEGER NOT NULL,
        PRIMARY KEY (account, local_id)
    );
    CREATE TABLE meta (
        account TEXT NOT NULL,          -- '' for the whole store
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (account, key)
    );
    """,
)
