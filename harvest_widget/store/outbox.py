"""The durable outbox: user operations waiting to reach Harvest, in the order they were made.

An operation is claimed before it is sent (`claim_next`, inside a `BEGIN IMMEDIATE` transaction) so
two processes on one home never send the same one. A claim is a lease: if its holder dies (crash,
`kill -9`), the operation becomes claimable again with `maybe_applied` set, so the sender checks the
server before sending it again.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal, cast

OpKind = Literal["create", "start", "stop", "update", "delete"]
OpState = Literal["pending", "in_flight", "conflict", "failed"]


@dataclass(frozen=True, slots=True)
class Op:
    op_id: int
    kind: OpKind
    entry_id: int
    payload: dict[str, Any]
    created_at: dt.datetime
    attempts: int
    last_error: str | None
    state: OpState
    maybe_applied: bool
    claimed_by: str | None


def claimer_id(token: str) -> str:
    """Who holds a claim: host and pid (to notice a dead holder at once) and a per-engine token."""
    return f"{_host()}:{os.getpid()}:{token}"


@functools.cache
def _host() -> str:
    import socket  # on first claim, not at import: the widget's first paint does not wait for it

    return socket.gethostname()


def enqueue(
    conn: sqlite3.Connection,
    account: str,
    kind: OpKind,
    entry_id: int,
    payload: dict[str, Any],
    *,
    created_at: dt.datetime,
) -> int:
    cursor = conn.execute(
        "INSERT INTO outbox (account, kind, entry_id, payload, created_at) VALUES (?, ?, ?, ?, ?)",
        (account, kind, entry_id, json.dumps(payload), created_at.isoformat()),
    )
    return int(cursor.lastrowid or 0)


def op(conn: sqlite3.Connection, op_id: int) -> Op | None:
    row = conn.execute("SELECT * FROM outbox WHERE op_id = ?", (op_id,)).fetchone()
    return None if row is None else _op(row)


def unfinished(conn: sqlite3.Connection, account: str) -> list[Op]:
    """Every operation not yet on the server, oldest first."""
    rows = conn.execute("SELECT * FROM outbox WHERE account = ? ORDER BY op_id", (account,)).fetchall()
    return [_op(row) for row in rows]


def concerning(conn: sqlite3.Connection, account: str, entry_ids: Iterable[int]) -> list[Op]:
    """Operations on any of `entry_ids`, plus every start (whose payload may name the entry it
    starts on timestamp accounts), oldest first: enough to tell those entries' states."""
    ids = sorted(set(entry_ids))
    marks = ", ".join("?" * len(ids))
    rows = conn.execute(
        f"SELECT * FROM outbox WHERE account = ? AND (entry_id IN ({marks}) OR kind = 'start') ORDER BY op_id",
        (account, *ids),
    ).fetchall()
    return [_op(row) for row in rows]


def timer_starts(conn: sqlite3.Connection, account: str) -> list[Op]:
    """Queued operations that start a timer (starts, and creates without hours), oldest first."""
    rows = conn.execute(
        "SELECT * FROM outbox WHERE account = ? AND kind IN ('start', 'create') ORDER BY op_id", (account,)
    ).fetchall()
    return [op for op in map(_op, rows) if op.kind == "start" or op.payload.get("hours") is None]


def for_entry(conn: sqlite3.Connection, account: str, entry_id: int) -> list[Op]:
    rows = conn.execute(
        "SELECT * FROM outbox WHERE account = ? AND entry_id = ? ORDER BY op_id", (account, entry_id)
    ).fetchall()
    return [_op(row) for row in rows]


def counts(conn: sqlite3.Connection, account: str) -> dict[str, int]:
    rows = conn.execute(
        "SELECT state, count(*) AS n FROM outbox WHERE account = ? GROUP BY state", (account,)
    ).fetchall()
    return {row["state"]: int(row["n"]) for row in rows}


def claim_next(
    conn: sqlite3.Connection, account: str, claimer: str, now: float, lease_seconds: float
) -> Op | None:
    """Claim the next operation to send, or None when there is none or another process holds the
    head of the queue (operations go out in order).

    Operations behind a conflict or a failure *on the same entry* wait for the user; others pass.
    Must run inside `Store.transaction()` (BEGIN IMMEDIATE), which makes the claim atomic.
    """
    blocked: set[int] = set()
    for row in conn.execute("SELECT * FROM outbox WHERE account = ? ORDER BY op_id", (account,)).fetchall():
        candidate = _op(row)
        if candidate.state in ("conflict", "failed") or candidate.entry_id in blocked:
            blocked.add(candidate.entry_id)
            continue
        abandoned = False
        if candidate.state == "in_flight":
            # Dead holder on this host: reclaim now. Otherwise wait for the lease to run out (a
            # reused pid or another host cannot hold it past that).
            if _holder_alive(candidate.claimed_by) is not False and row["lease_until"] >= now:
                return None
            abandoned = True
        conn.execute(
            "UPDATE outbox SET state = 'in_flight', claimed_by = ?, lease_until = ?, "
            "maybe_applied = maybe_applied OR ? WHERE op_id = ?",
            (claimer, now + lease_seconds, int(abandoned), candidate.op_id),
        )
        return _op(conn.execute("SELECT * FROM outbox WHERE op_id = ?", (candidate.op_id,)).fetchone())
    return None


def complete(conn: sqlite3.Connection, op_id: int) -> None:
    conn.execute("DELETE FROM outbox WHERE op_id = ?", (op_id,))


def release(conn: sqlite3.Connection, op_id: int, error: str | None, *, maybe_applied: bool) -> None:
    """Put a claimed operation back in the queue after a transient failure."""
    conn.execute(
        "UPDATE outbox SET state = 'pending', claimed_by = NULL, lease_until = NULL, "
        "attempts = attempts + 1, last_error = ?, maybe_applied = maybe_applied OR ? WHERE op_id = ?",
        (error, int(maybe_applied), op_id),
    )


def park(conn: sqlite3.Connection, op_id: int, state: OpState, error: str) -> None:
    """Set an operation aside for the user ("conflict" or "failed") with the server's reason."""
    conn.execute(
        "UPDATE outbox SET state = ?, claimed_by = NULL, lease_until = NULL, attempts = attempts + 1, "
        "last_error = ? WHERE op_id = ?",
        (state, error, op_id),
    )


def retry(conn: sqlite3.Connection, op_id: int) -> None:
    conn.execute(
        "UPDATE outbox SET state = 'pending', attempts = 0, last_error = NULL WHERE op_id = ?", (op_id,)
    )


def rewrite(conn: sqlite3.Connection, op_id: int, kind: OpKind, payload: dict[str, Any]) -> None:
    """Turn a claimed operation into another one in place (it keeps its turn in the queue)."""
    conn.execute(
        "UPDATE outbox SET kind = ?, payload = ?, state = 'pending', claimed_by = NULL, "
        "lease_until = NULL, attempts = 0, maybe_applied = 0, last_error = NULL WHERE op_id = ?",
        (kind, json.dumps(payload), op_id),
    )


def replace_payload(conn: sqlite3.Connection, op_id: int, payload: dict[str, Any]) -> None:
    conn.execute("UPDATE outbox SET payload = ? WHERE op_id = ?", (json.dumps(payload), op_id))


def retarget(conn: sqlite3.Connection, account: str, old_entry_id: int, new_entry_id: int) -> None:
    """Point later operations on a local entry at the id the server gave it."""
    conn.execute(
        "UPDATE outbox SET entry_id = ? WHERE account = ? AND entry_id = ?",
        (new_entry_id, account, old_entry_id),
    )


def remember_server_id(conn: sqlite3.Connection, account: str, local_id: int, server_id: int) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO id_map (account, local_id, server_id) VALUES (?, ?, ?)",
        (account, local_id, server_id),
    )


def server_id(conn: sqlite3.Connection, account: str, local_id: int) -> int | None:
    row = conn.execute(
        "SELECT server_id FROM id_map WHERE account = ? AND local_id = ?", (account, local_id)
    ).fetchone()
    return None if row is None else int(row["server_id"])


def mapped_server_ids(conn: sqlite3.Connection, account: str) -> set[int]:
    return {int(r[0]) for r in conn.execute("SELECT server_id FROM id_map WHERE account = ?", (account,))}


def _holder_alive(claimed_by: str | None) -> bool | None:
    """Whether the claim's holder still runs: known on this host (by pid), else None (unknown:
    the lease decides). Another engine in this very process is unknown too."""
    host, _, rest = (claimed_by or "").partition(":")
    pid_text = rest.partition(":")[0]
    if host != _host() or not pid_text.isdigit() or os.name != "posix":
        return None
    pid = int(pid_text)
    if pid == os.getpid():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _op(row: sqlite3.Row) -> Op:
    return Op(
        op_id=int(row["op_id"]),
        kind=cast(OpKind, row["kind"]),
        entry_id=int(row["entry_id"]),
        payload=json.loads(row["payload"]),
        created_at=dt.datetime.fromisoformat(row["created_at"]),
        attempts=int(row["attempts"]),
        last_error=row["last_error"],
        state=cast(OpState, row["state"]),
        maybe_applied=bool(row["maybe_applied"]),
        claimed_by=row["claimed_by"],
    )
