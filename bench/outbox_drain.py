"""How fast the engine drains a backlog through Harvest's throttle, and whether it ever hits it.

Queues N creates (as a day offline would), then times `Engine.sync()` draining them through the real
v1 client into the sandbox with its real throttle (100 calls / 15 s by default). Prints operations
per second against the throttle's limit and the number of throttled (503) answers; beside it, the
same engine draining a smaller backlog with the throttle lifted (what the engine alone costs).
Targets: >= 0.95 of the limit, zero throttled answers. 1,000 ops take about 150 s.

    .venv/bin/python bench/outbox_drain.py [--ops 1000] [--calls 100] [--seconds 15]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from harvest_widget.api.auth import BasicAuth
from harvest_widget.api.rate_limiter import SlidingWindowLimiter, SqliteWindowStore
from harvest_widget.api.v1 import connect_v1
from harvest_widget.core.timesheet import EntryDraft
from harvest_widget.sandbox import Sandbox
from harvest_widget.store import Store
from harvest_widget.sync import Engine

PROJECT, TASK = 2001, 3002


def drain(ops: int, calls: int, seconds: float, limiter_calls: int) -> tuple[float, float, int, int]:
    """(elapsed seconds, sustained ops/s, throttled answers, server entries created) for draining
    `ops` creates. Sustained: `calls` divided by the median time any `calls` consecutive calls took."""
    with (
        Sandbox(throttle_calls=calls, throttle_seconds=seconds) as sandbox,
        tempfile.TemporaryDirectory() as home,
    ):
        user = sandbox.users["admin"]
        key = f"bench|{sandbox.url}|{user.email}"
        limiter = SlidingWindowLimiter(
            limiter_calls, seconds, store=SqliteWindowStore(Path(home) / "throttle.sqlite3", key)
        )
        backend = connect_v1(sandbox.url, BasicAuth(user.email, user.password), limiter=limiter)
        store = Store(Path(home) / "cache.sqlite3")
        engine = Engine(store, backend, account_key=key)
        engine.sign_in()
        today = engine.today()
        for n in range(ops):
            engine.create(EntryDraft(PROJECT, TASK, today, f"bench {n}", Decimal("0.25")))
        before = len(sandbox.entries("admin"))
        # Start on a fresh window, as a process that was offline would.
        time.sleep(seconds + 0.5)
        sandbox.clear_requests()
        started = time.perf_counter()
        report = engine.sync(refresh=())
        elapsed = time.perf_counter() - started
        assert report.complete, report
        throttled = sum(1 for r in sandbox.requests if r.status in (429, 503))
        sent = sorted(r.time for r in sandbox.requests if r.path == "/daily/add")
        # Sustained rate: how long each run of `calls` consecutive calls took (the throttle's window).
        spans = [(sent[k + calls] - sent[k]).total_seconds() for k in range(len(sent) - calls)]
        steady = calls / statistics.median(spans) if spans else float("nan")
        created = len(sandbox.entries("admin")) - before
        store.close()
    return elapsed, steady, throttled, created


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=100, help="the sandbox throttle: calls per window")
    parser.add_argument("--seconds", type=float, default=15.0, help="the sandbox throttle window")
    parser.add_argument("--baseline-ops", type=int, default=300)
    args = parser.parse_args(argv)
    limit = args.calls / args.seconds

    base_elapsed, _, _, _ = drain(args.baseline_ops, 100_000, args.seconds, 100_000)
    elapsed, steady, throttled, created = drain(args.ops, args.calls, args.seconds, args.calls)
    rate = args.ops / elapsed
    print(
        f"baseline: {args.baseline_ops} ops with the throttle lifted: {args.baseline_ops / base_elapsed:8.1f} ops/s"
    )
    print(f"throttle: {args.calls} calls / {args.seconds:g} s = {limit:.2f} calls/s (one call per create)")
    print(f"drained:  {args.ops} ops in {elapsed:.1f} s = {rate:.2f} ops/s = {rate / limit:.3f} of the limit")
    print(
        f"          sustained (each {args.calls} consecutive calls, median span): {steady:.2f} ops/s = {steady / limit:.3f} of the limit"
    )
    print(f"          {created} entries created on the server, {throttled} throttled answers")
    ok = steady / limit >= 0.95 and throttled == 0 and created == args.ops
    print(f"target >= 0.95 of the limit with 0 throttled: {'meets' if ok else 'MISSES'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
