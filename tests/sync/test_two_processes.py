"""Two engine processes on one home (the widget and the command line) never send an op twice."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from harvest_widget.core.timesheet import EntryDraft
from harvest_widget.paths import AppPaths
from harvest_widget.sandbox import Sandbox
from harvest_widget.store import Store
from tests.sync.harvest import PROJECT, TASK, make_engine
from tests.sync.processes import spawn

PER_PROCESS = 15


def test_two_processes_draining_one_outbox_send_each_op_once(home: AppPaths, sandbox: Sandbox) -> None:
    user = sandbox.users["admin"]
    engine = make_engine(Store(home.cache_db), home.data_dir, sandbox.url, user.email, user.password)
    engine.sign_in()
    today = engine.today()
    # A backlog queued while offline, which both processes find when they start.
    for n in range(PER_PROCESS):
        engine.create(EntryDraft(PROJECT, TASK, today, f"backlog-{n}", Decimal("0.5")))
    sandbox.clear_requests()

    children = [spawn(home, sandbox, "drain", tag, str(PER_PROCESS)) for tag in ("widget", "cli")]
    for child in children:
        _, err = child.communicate(timeout=90)
        assert child.returncode == 0, err

    adds = [r for r in sandbox.requests if r.method == "POST" and r.path == "/daily/add"]
    assert len(adds) == 3 * PER_PROCESS  # one request per queued create, none sent twice
    notes = Counter(e.notes for e in sandbox.entries("admin"))
    expected = {f"{tag}-{n}" for tag in ("backlog", "widget", "cli") for n in range(PER_PROCESS)}
    assert {note: notes[note] for note in expected} == dict.fromkeys(expected, 1)
    assert engine.status().is_clean
    assert not [r for r in sandbox.requests if r.status == 503]  # one shared throttle budget
