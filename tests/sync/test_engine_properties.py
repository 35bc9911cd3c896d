"""Hypothesis: random operations, refreshes, edits made in the web app, failures (lost, broken and
cut replies, 5xx, resets, throttle, outages) and restarts; once the outbox is empty the cache and
Harvest agree and nothing was duplicated."""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harvest_widget.api.errors import HarvestError
from harvest_widget.core.timesheet import EntryChanges, EntryDraft
from harvest_widget.paths import AppPaths
from harvest_widget.sandbox import Fault, Sandbox
from harvest_widget.store import Store
from harvest_widget.sync import Engine
from tests.sync.harvest import APIS, PROJECT, TASK, Api, Wire, cache_view, engine_for_user, server_view

CALLS = ("create", "update", "timer", "delete", "read", "any")  # which calls a fault hits (`Wire.target`)
FAULTS = {
    "lost reply": lambda wire, kind: Fault("drop_after_commit", times=1, **wire.target(kind)),
    "server error": lambda wire, kind: Fault(
        "status", status=502, content_type="html", times=1, **wire.target(kind)
    ),
    "reset": lambda wire, kind: Fault("reset", times=1, **wire.target(kind)),
    "malformed reply": lambda wire, kind: Fault("malformed", times=1, **wire.target(kind)),
    "truncated reply": lambda wire, kind: Fault("truncated", times=1, **wire.target(kind)),
    "throttle": lambda wire, kind: wire.throttle(1, kind if kind != "any" else None, times=1),
}

steps = st.lists(
    st.one_of(
        st.tuples(st.just("create"), st.integers(1, 400)),
        st.tuples(st.just("timer")),
        st.tuples(st.just("start"), st.integers(0, 20)),
        st.tuples(st.just("stop")),
        st.tuples(st.just("edit hours"), st.integers(0, 20), st.integers(1, 400)),
        st.tuples(st.just("edit notes"), st.integers(0, 20)),
        st.tuples(st.just("delete"), st.integers(0, 20)),
        st.tuples(st.just("sync")),
        st.tuples(st.just("refresh day")),
        st.tuples(st.just("refresh running")),
        st.tuples(st.just("web edit"), st.integers(0, 20)),
        st.tuples(st.just("fault"), st.sampled_from(sorted(FAULTS)), st.sampled_from(CALLS)),
        st.tuples(st.just("offline")),
        st.tuples(st.just("online")),
        st.tuples(st.just("restart")),
    ),
    min_size=1,
    max_size=14,
)


class World:
    """One example's sandbox, home and current engine (replaced on "restart")."""

    def __init__(self, sandbox: Sandbox, home: Path, api: Api) -> None:
        self.sandbox = sandbox
        self.wire = Wire(api, sandbox)
        self.paths = AppPaths(home / "config", home / "data", home / "logs").ensure()
        self.store: Store | None = None
        self.engine = self.restart()
        self.engine.sign_in()
        self.today = self.engine.today()
        self.engine.refresh_day(self.today)
        self.counter = 0

    def restart(self) -> Engine:
        if self.store is not None:
            self.store.close()
        self.store = Store(self.paths.cache_db)
        self.engine = engine_for_user(self.store, self.paths.data_dir, self.sandbox, self.wire.api)
        return self.engine

    def pick(self, index: int) -> int | None:
        entries = self.engine.snapshot(self.today).entries
        return entries[index % len(entries)].entry.id if entries else None

    def note(self) -> str:
        self.counter += 1
        return f"prop-{self.counter}"

    def run(self, step: tuple[Any, ...]) -> None:
        kind, args = step[0], step[1:]
        engine = self.engine
        if kind == "create":
            engine.create(EntryDraft(PROJECT, TASK, self.today, self.note(), Decimal(args[0]) / 100))
        elif kind == "timer":
            engine.start_new(EntryDraft(PROJECT, TASK, self.today, self.note()))
        elif kind == "stop":
            running = engine.snapshot(self.today).running
            if running is not None:
                engine.stop(running.entry.id)
        elif kind == "sync":
            engine.sync()
        elif kind in ("refresh day", "refresh running"):
            with contextlib.suppress(HarvestError):  # offline, throttled, a fault: the cache stays
                engine.refresh_day(self.today) if kind == "refresh day" else engine.refresh_running()
        elif kind == "web edit":
            self.web_edit(args[0])
        elif kind == "fault":
            self.sandbox.faults.add(FAULTS[args[0]](self.wire, args[1]))
        elif kind == "offline":
            self.sandbox.stop()
        elif kind == "online":
            self.sandbox.start()
        elif kind == "restart":
            self.restart()
        elif (target := self.pick(args[0])) is not None:
            snap = engine.snapshot(self.today).entry(target)
            assert snap is not None
            if kind == "start":
                engine.start(target)
            elif kind == "edit hours" and not snap.entry.is_running:
                engine.edit(target, EntryChanges(hours=Decimal(args[1]) / 100))
            elif kind == "edit notes":
                engine.edit(target, EntryChanges(notes=self.note()))
            elif kind == "delete":
                engine.delete(target)

    def web_edit(self, index: int) -> None:
        """Someone changes an entry's notes in the web app (a server-side change, no fault)."""
        entries = self.sandbox.entries("admin")
        if not entries or not self.sandbox.running:
            return
        target = entries[index % len(entries)]
        faults = self.sandbox.faults.active()
        self.sandbox.faults.clear()
        self.wire.update_elsewhere(target.id, notes=self.note())
        for fault in faults:
            self.sandbox.faults.add(fault)

    def settle(self) -> None:
        """Back online; the remaining one-shot faults hit the first syncs, then the outbox drains."""
        self.sandbox.start()
        deadline = time.monotonic() + 20
        while not self.engine.sync().complete:
            assert time.monotonic() < deadline, self.engine.outbox()
            assert not self.engine.status().conflicts and not self.engine.status().failed_ops, (
                self.engine.outbox()
            )
            time.sleep(0.05)


@pytest.mark.parametrize("api", APIS)
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps)
def test_after_any_ops_failures_and_restarts_cache_and_server_agree(
    api: Api, script: list[tuple[Any, ...]]
) -> None:
    with Sandbox() as sandbox, tempfile.TemporaryDirectory() as home:
        world = World(sandbox, Path(home), api)
        for step in script:
            world.run(step)
        world.settle()
        server = server_view(sandbox.entries("admin"), world.today)
        assert cache_view(world.engine, world.today) == server
        notes = Counter(v[2] for v in server.values() if v[2].startswith("prop-"))
        assert all(n == 1 for n in notes.values()), notes  # no duplicates
        assert len([v for v in server.values() if v[4]]) <= 1  # one running timer
        assert world.store is not None
        world.store.close()
