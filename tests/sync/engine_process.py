"""A second process working on the same home as a test: `python -m tests.sync.engine_process ...`.

Modes:
- `crash ROUND SEED`: random local operations on today's `crash-` entries, syncing now and then;
  prints `intent {json}` before and `done {json}` after each operation (flushed), so the test keeps
  an independent ledger even when it kills this process with SIGKILL at any point.
- `drain TAG COUNT`: creates COUNT entries noted `TAG-n`, syncing between them, then syncs until
  nothing is pending (two of these at once show that no operation is sent twice).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

from harvest_widget.connection import open_engine
from harvest_widget.core.timesheet import EntryChanges, EntryDraft
from harvest_widget.paths import app_paths
from harvest_widget.store import Store
from harvest_widget.sync import Engine
from tests.sync.harvest import PROJECT, TASK, make_engine

STEPS = 12


def _say(word: str, **fields: object) -> None:
    print(word, json.dumps(fields), flush=True)


def crash_round(engine: Engine, round_no: int, rng: random.Random) -> None:
    today = engine.today()
    for step in range(STEPS):
        mine = [le.entry for le in engine.snapshot(today).entries if le.entry.notes.startswith("crash-")]
        choice = rng.choice(["create", "create", "timer", "edit", "delete", "stop"] if mine else ["create"])
        key = f"crash-{round_no}-{step}"
        if choice == "create":
            hours = str(Decimal(rng.randint(1, 90)) / 100)
            _say("intent", op="create", key=key, hours=hours)
            engine.create(EntryDraft(PROJECT, TASK, today, key, Decimal(hours)))
            _say("done", op="create", key=key, hours=hours)
        elif choice == "timer":
            _say("intent", op="timer", key=key)
            engine.start_new(EntryDraft(PROJECT, TASK, today, key))
            _say("done", op="timer", key=key)
        else:
            target = rng.choice(mine)
            if choice == "edit" and not target.is_running:
                hours = str(Decimal(rng.randint(1, 90)) / 100)
                _say("intent", op="edit", key=target.notes, hours=hours)
                engine.edit(target.id, EntryChanges(hours=Decimal(hours)))
                _say("done", op="edit", key=target.notes, hours=hours)
            elif choice == "delete":
                _say("intent", op="delete", key=target.notes)
                engine.delete(target.id)
                _say("done", op="delete", key=target.notes)
            elif target.is_running:
                _say("intent", op="stop", key=target.notes)
                engine.stop(target.id)
                _say("done", op="stop", key=target.notes)
        if rng.random() < 0.6:
            engine.sync()


def drain(engine: Engine, tag: str, count: int) -> None:
    today = engine.today()
    for n in range(count):
        engine.create(EntryDraft(PROJECT, TASK, today, f"{tag}-{n}", Decimal("0.25")))
        engine.sync(refresh=())
    deadline = time.monotonic() + 60
    while engine.status().pending_ops and time.monotonic() < deadline:
        engine.sync(refresh=())
        time.sleep(0.02)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", type=Path)
    parser.add_argument("--url")
    parser.add_argument("--email")
    parser.add_argument("--secret", help="v1: the password; v2: a personal access token")
    parser.add_argument("--api", choices=["v1", "v2"], default="v1")
    parser.add_argument("--account-id", type=int)
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument(
        "--login", action="store_true", help="open the engine as the widget does: settings + keyring"
    )
    parser.add_argument("mode", choices=["crash", "drain"])
    parser.add_argument("args", nargs="*")
    args = parser.parse_args()
    if args.login:
        engine = open_engine(app_paths())
    else:
        store = Store(args.home / "data" / "cache.sqlite3")
        engine = make_engine(
            store, args.home / "data", args.url, args.email, args.secret,
            api=args.api, account_id=args.account_id, calls_per_window=args.calls,
        )  # fmt: skip
    if engine.whoami() is None:
        engine.sign_in()
    if args.mode == "crash":
        round_no, seed = (int(a) for a in args.args)
        crash_round(engine, round_no, random.Random(seed))
    else:
        drain(engine, args.args[0], int(args.args[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
