"""The outbox: in-order claims that two processes cannot share, and leases that outlive a crash."""

from __future__ import annotations

import datetime as dt
import socket
import subprocess
import sys

from harvest_widget.paths import AppPaths
from harvest_widget.store import Store, outbox

ACCOUNT = "acct"
T0 = dt.datetime(2026, 11, 28, 9, tzinfo=dt.UTC)


def _enqueue(store: Store, entry_id: int, kind: outbox.OpKind = "update") -> int:
    with store.transaction() as conn:
        return outbox.enqueue(conn, ACCOUNT, kind, entry_id, {"notes": "x"}, created_at=T0)


def _claim(store: Store, claimer: str, now: float = 1000.0) -> outbox.Op | None:
    with store.transaction() as conn:
        return outbox.claim_next(conn, ACCOUNT, claimer, now, lease_seconds=60)


def test_ops_are_claimed_in_the_order_they_were_made(home: AppPaths) -> None:
    with Store(home.cache_db) as store:
        first, second = _enqueue(store, 1), _enqueue(store, 2)
        me = outbox.claimer_id("a")
        claimed = _claim(store, me)
        assert claimed is not None and claimed.op_id == first and claimed.state == "in_flight"
        with store.transaction() as conn:
            outbox.complete(conn, first)
        claimed = _claim(store, me)
        assert claimed is not None and claimed.op_id == second


def test_a_second_process_cannot_claim_an_op_held_by_a_live_one(home: AppPaths) -> None:
    with Store(home.cache_db) as widget, Store(home.cache_db) as cli:
        _enqueue(widget, 1)
        _enqueue(widget, 2)
        assert _claim(widget, outbox.claimer_id("widget")) is not None
        # The head of the queue is in flight elsewhere: the CLI waits rather than sending out of order.
        assert _claim(cli, outbox.claimer_id("cli")) is None


def test_an_op_held_by_a_dead_process_is_reclaimed_as_maybe_applied(home: AppPaths) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    dead_claimer = f"{socket.gethostname()}:{int(dead.stdout)}:gone"
    with Store(home.cache_db) as store:
        op_id = _enqueue(store, 1, "create")
        assert _claim(store, dead_claimer) is not None
        reclaimed = _claim(store, outbox.claimer_id("me"))
        assert reclaimed is not None and reclaimed.op_id == op_id and reclaimed.maybe_applied


def test_an_expired_lease_from_another_host_is_reclaimed(home: AppPaths) -> None:
    with Store(home.cache_db) as store:
        _enqueue(store, 1, "create")
        assert _claim(store, "other-host:1:x", now=1000.0) is not None
        assert _claim(store, outbox.claimer_id("me"), now=1030.0) is None
        reclaimed = _claim(store, outbox.claimer_id("me"), now=1061.0)
        assert reclaimed is not None and reclaimed.maybe_applied


def test_a_conflict_blocks_later_ops_on_its_entry_but_not_others(home: AppPaths) -> None:
    with Store(home.cache_db) as store:
        stuck = _enqueue(store, 7)
        _enqueue(store, 7)
        unrelated = _enqueue(store, 8)
        with store.transaction() as conn:
            outbox.park(conn, stuck, "conflict", "The entry is gone from Harvest.")
        claimed = _claim(store, outbox.claimer_id("me"))
        assert claimed is not None and claimed.op_id == unrelated


def test_release_after_a_lost_reply_marks_the_op_for_a_check(home: AppPaths) -> None:
    with Store(home.cache_db) as store:
        op_id = _enqueue(store, -1, "create")
        _claim(store, outbox.claimer_id("me"))
        with store.transaction() as conn:
            outbox.release(conn, op_id, "no answer", maybe_applied=True)
            again = outbox.op(conn, op_id)
        assert again is not None
        assert (again.state, again.attempts, again.maybe_applied, again.last_error) == (
            "pending",
            1,
            True,
            "no answer",
        )
