"""kill -9 at random points while Harvest drops replies after committing: after a restart and a
sync the server holds every operation exactly once, checked against a ledger the test keeps."""

from __future__ import annotations

import json
import random
import signal
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from harvest_widget.paths import AppPaths
from harvest_widget.sandbox import Sandbox
from harvest_widget.store import Store
from tests.sync.engine_process import STEPS
from tests.sync.harvest import Api, Wire, cache_view, engine_for_user, server_view
from tests.sync.processes import spawn

ROUNDS = 30
CALLS = 1000  # the crash test is about replies, not the throttle (that has its own tests)
DROPPABLE = ("create", "update", "timer", "delete")


@dataclass
class Key:
    """What the test knows of one entry (named by its notes) from the child's own reports."""

    created: bool = False  # the child said the create was done
    deleted: bool | None = False  # None: a delete was under way when the child was killed
    hours: set[Decimal] = field(default_factory=set)  # acceptable final hours (empty: a timer)


class Ledger:
    def __init__(self) -> None:
        self.keys: dict[str, Key] = {}

    def read(self, output: str) -> None:
        """Apply a killed child's `intent`/`done` lines; an intent without its done is uncertain."""
        pending: dict[str, object] | None = None
        for line in output.splitlines():
            word, _, payload = line.partition(" ")
            record = json.loads(payload)
            if word == "intent":
                pending = record
            elif word == "done":
                self._apply(record, certain=True)
                pending = None
        if pending is not None:
            self._apply(pending, certain=False)

    def _apply(self, record: dict[str, object], *, certain: bool) -> None:
        op, name = str(record["op"]), str(record["key"])
        key = self.keys.setdefault(name, Key())
        if op in ("create", "timer"):
            key.created = key.created or certain
            if op == "create":
                key.hours = {Decimal(str(record["hours"]))}
        elif op == "edit":
            key.created = True
            new = Decimal(str(record["hours"]))
            if certain:
                key.hours = {new}
            elif key.hours:  # killed mid-edit: the old hours or the new ones
                key.hours = {*key.hours, new}
            # else: a stopped timer's entry, whose hours were never known: any hours stay right
        elif op == "delete":
            key.created = True
            key.deleted = True if certain else None
        elif op == "stop":
            key.created = True


@pytest.mark.slow
def test_kill_9_at_random_points_loses_and_duplicates_nothing(
    home: AppPaths, sandbox: Sandbox, api: Api, wire: Wire
) -> None:
    rng = random.Random(20261128)
    sandbox.set_throttle(CALLS, 15.0)
    ledger = Ledger()
    interrupted = 0
    for round_no in range(ROUNDS):
        sandbox.faults.clear()
        for kind in rng.sample(DROPPABLE, 2):
            sandbox.faults.add(wire.drop_reply(kind))
        child = spawn(home, sandbox, "crash", str(round_no), str(rng.randrange(2**32)), calls=CALLS, api=api)
        assert child.stdout is not None
        first = child.stdout.readline()  # it has started: kill it somewhere in its work
        time.sleep(rng.uniform(0.0, 0.3))
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        # Through the buffer readline() filled: communicate() reads the pipe beneath it and would
        # miss the lines readline() read ahead (a child running ahead of a busy test wrote several).
        rest = child.stdout.read()
        child.stdout.close()
        assert child.stderr is not None
        child.stderr.close()
        ledger.read(first + rest)
        interrupted += len((first + rest).splitlines()) < 2 * STEPS
    assert interrupted >= ROUNDS // 2  # most kills landed mid-work, not after the child was done

    sandbox.faults.clear()
    engine = engine_for_user(Store(home.cache_db), home.data_dir, sandbox, api, calls_per_window=CALLS)
    for _ in range(20):
        if engine.sync().complete:
            break
    assert engine.status().is_clean, engine.outbox()

    today = engine.today()
    on_server = [e for e in sandbox.entries("admin") if e.notes and e.notes.startswith("crash-")]
    copies = Counter(e.notes for e in on_server)
    assert max(copies.values(), default=1) == 1, [k for k, n in copies.items() if n > 1]  # no duplicate
    assert set(copies) <= set(ledger.keys)  # nothing the child never tried
    for name, key in ledger.keys.items():
        present = copies[name] == 1
        if key.deleted is None:
            continue  # killed while deleting: either outcome is right, and the line above rules out two
        if key.created and not key.deleted:
            assert present, f"{name} was lost"
        if key.deleted:
            assert not present, f"{name} came back after its delete"
        if present and key.hours:
            (entry,) = [e for e in on_server if e.notes == name]
            assert entry.hours in key.hours, (name, entry.hours, key.hours)
    certain = sum(k.created for k in ledger.keys.values())
    assert certain >= ROUNDS  # the rounds did real work before being killed
    assert cache_view(engine, today) == server_view(sandbox.entries("admin"), today)
