"""How long the widget waits to show one cached day when the cache holds five years of entries.

Prints the median time of `Engine.snapshot(day)` (what the tray and the timesheet window call) on a
cache with five years of entries (and again with 1,000 operations queued, as after a day offline),
beside two baselines measured in the same run: a trivial `SELECT 1` on the same file and the same
snapshot on a cache holding one day. Target: under 5 ms.

    .venv/bin/python bench/day_read.py [--years 5] [--per-day 6] [--reads 300] [--backlog 1000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import cast

from harvest_widget.api.backend import Backend
from harvest_widget.core.account import WhoAmI
from harvest_widget.core.timesheet import Entry, EntryDraft, Project, Task
from harvest_widget.store import Store, cache, outbox
from harvest_widget.sync import Engine
from harvest_widget.sync.payloads import draft_payload

ACCOUNT = "bench"
TODAY = dt.date(2026, 11, 27)
PROJECTS = tuple(
    Project(
        id=2000 + p,
        name=f"Project {p}",
        client_name="Client",
        tasks=(Task(3001, "Design"), Task(3002, "Dev")),
    )
    for p in range(20)
)


def fill(store: Store, days: int, per_day: int) -> int:
    """Write `days` days of `per_day` entries each (ending today); returns the number of entries."""
    now = dt.datetime(2026, 11, 27, 17, tzinfo=dt.UTC)
    next_id = 1
    with store.transaction() as conn:
        cache.put_whoami(conn, ACCOUNT, WhoAmI(user_id=1, email="bench@example.com"), now)
        cache.replace_projects(conn, ACCOUNT, PROJECTS)
        for back in range(days):
            day = TODAY - dt.timedelta(days=back)
            for n in range(per_day):
                entry = Entry(
                    id=next_id,
                    spent_on=day,
                    project_id=2000 + n % 20,
                    task_id=3001 + n % 2,
                    hours=Decimal("1.25"),
                    notes=f"Work item {next_id} on {day}",
                    project_name=f"Project {n % 20}",
                    task_name="Design",
                    created_at=now,
                    updated_at=now,
                )
                cache.put_entry(conn, ACCOUNT, cache.CachedEntry(entry))
                next_id += 1
            cache.mark_day_fetched(conn, ACCOUNT, day, now)
    return next_id - 1


def queue_backlog(store: Store, count: int) -> None:
    """A day offline: `count` creates waiting in the outbox (on another day than the one read)."""
    queued_at = dt.datetime(2026, 11, 27, 18, tzinfo=dt.UTC)
    with store.transaction() as conn:
        for n in range(count):
            draft = EntryDraft(2000, 3001, TODAY - dt.timedelta(days=1), f"offline {n}", Decimal("0.5"))
            outbox.enqueue(conn, ACCOUNT, "create", -(n + 1), draft_payload(draft), created_at=queued_at)


def median_ms(action: Callable[[], object], reads: int) -> float:
    action()  # warm the page cache and statement cache
    samples = []
    for _ in range(reads):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--per-day", type=int, default=6)
    parser.add_argument("--reads", type=int, default=300)
    parser.add_argument("--backlog", type=int, default=1000, help="ops queued for the last figure")
    args = parser.parse_args(argv)
    offline = cast(Backend, None)  # snapshot() reads the cache only; no call reaches a backend
    with tempfile.TemporaryDirectory() as folder:
        big = Store(Path(folder) / "five-years.sqlite3")
        small = Store(Path(folder) / "one-day.sqlite3")
        count = fill(big, days=365 * args.years, per_day=args.per_day)
        fill(small, days=1, per_day=args.per_day)
        big_engine = Engine(big, offline, account_key=ACCOUNT)
        small_engine = Engine(small, offline, account_key=ACCOUNT)
        mid_day = TODAY - dt.timedelta(days=365 * args.years // 2)

        def select_one() -> object:
            with big.reading() as conn:
                return conn.execute("SELECT 1").fetchone()

        baseline = median_ms(select_one, args.reads)
        one_day = median_ms(lambda: small_engine.snapshot(TODAY), args.reads)
        today = median_ms(lambda: big_engine.snapshot(TODAY), args.reads)
        old_day = median_ms(lambda: big_engine.snapshot(mid_day), args.reads)
        assert len(big_engine.snapshot(TODAY).entries) == args.per_day
        queue_backlog(big, args.backlog)
        backlog = median_ms(lambda: big_engine.snapshot(TODAY), args.reads)
        big.close()
        small.close()
    print(
        f"cache: {count} entries over {args.years} years ({args.per_day} a day); median of {args.reads} reads"
    )
    print(f"  baseline SELECT 1 (same file)        {baseline:8.3f} ms")
    print(f"  baseline snapshot, one-day cache     {one_day:8.3f} ms")
    print(f"  snapshot(today), five-year cache     {today:8.3f} ms  ({today / one_day:.2f}x one-day cache)")
    print(
        f"  snapshot({mid_day}), five-year cache {old_day:8.3f} ms  ({old_day / one_day:.2f}x one-day cache)"
    )
    print(
        f"  snapshot(today), {args.backlog} ops queued    {backlog:8.3f} ms  ({backlog / one_day:.2f}x one-day cache)"
    )
    target = 5.0
    verdict = "meets" if max(today, old_day, backlog) < target else "MISSES"
    print(f"  target < {target:.0f} ms: {verdict}")
    return 0 if verdict == "meets" else 1


if __name__ == "__main__":
    sys.exit(main())
