"""Building real engines for tests: a real cache file, the real v1 client, the local sandbox.

Used by the sync tests in this process and by `engine_process.py` in child processes.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from harvest_widget.api.auth import BasicAuth
from harvest_widget.api.rate_limiter import SlidingWindowLimiter, SqliteWindowStore
from harvest_widget.api.transport import Transport
from harvest_widget.api.v1 import V1Backend
from harvest_widget.api.v1_codec import DataFormat
from harvest_widget.store import Store
from harvest_widget.sync import Engine

THROTTLE_DB = "throttle.sqlite3"
PROJECT, TASK = 2001, 3002  # Website Redesign / Development, assigned to every demo-studio user


def account_key(url: str, email: str) -> str:
    return f"v1|{url}|{email}"


def make_engine(
    store: Store,
    data_dir: Path,
    url: str,
    email: str,
    password: str,
    *,
    calls_per_window: int = 100,
    backend_type: type[V1Backend] = V1Backend,
    data_format: DataFormat = "json",
    **engine_args: Any,
) -> Engine:
    """An engine on the real v1 client, sharing the throttle budget file of `data_dir` with every
    other process on that home. The transport does not wait out throttles or retry outages itself
    (max_wait=0, retries=0): the engine's own pause-and-resume is what the tests exercise."""
    key = account_key(url, email)
    limiter = SlidingWindowLimiter(calls_per_window, store=SqliteWindowStore(data_dir / THROTTLE_DB, key))
    transport = Transport(
        url,
        BasicAuth(email, password),
        data_format=data_format,
        limiter=limiter,
        retries=0,
        max_wait=0,
        timeouts=(2.0, 5.0),
    )
    return Engine(store, backend_type(transport), account_key=key, **engine_args)


def server_view(entries: list[Any], day: dt.date) -> dict[int, tuple[int, int, str, Decimal | None, bool]]:
    """(project, task, notes, hours unless running, running) by id: what cache and server must agree on."""
    return {
        e.id: (e.project_id, e.task_id, e.notes or "", None if e.running else e.hours, e.running)
        for e in entries
        if e.spent_at == day
    }


def cache_view(engine: Engine, day: dt.date) -> dict[int, tuple[int, int, str, Decimal | None, bool]]:
    return {
        le.entry.id: (
            le.entry.project_id,
            le.entry.task_id,
            le.entry.notes,
            None if le.entry.is_running else le.entry.hours,
            le.entry.is_running,
        )
        for le in engine.snapshot(day).entries
    }
