"""Engine fixtures: a real cache file in a throwaway home, a controllable wall clock and monotonic clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from harvest_widget.core.account import WhoAmI
from harvest_widget.core.timesheet import Day, Entry, EntryChanges, EntryDraft, TimerResult
from harvest_widget.paths import AppPaths
from harvest_widget.sandbox import Sandbox
from harvest_widget.store import Store
from tests.sync.harvest import APIS, Api, Wire


@dataclass
class Clocks:
    """The wall clock and the monotonic clock, moved together (or apart, to fake sleep/reboot)."""

    wall: dt.datetime = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)
    mono: float = 5000.0

    def now(self) -> dt.datetime:
        return self.wall

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float) -> None:
        self.wall += dt.timedelta(seconds=seconds)
        self.mono += seconds


class NoNetwork:
    """A backend that fails the test if a local operation touches the network."""

    def whoami(self) -> WhoAmI:
        raise AssertionError("a local operation asked who_am_i")

    def day(self, date: dt.date) -> Day:
        raise AssertionError(f"a local operation read day {date}")

    def entry(self, entry_id: int) -> Entry:
        raise AssertionError(f"a local operation read entry {entry_id}")

    def create(self, draft: EntryDraft) -> TimerResult:
        raise AssertionError(f"a local operation sent {draft}")

    def update(self, entry_id: int, changes: EntryChanges) -> Entry:
        raise AssertionError(f"a local operation sent {changes}")

    def delete(self, entry_id: int) -> None:
        raise AssertionError(f"a local operation deleted {entry_id}")

    def start(self, entry_id: int) -> TimerResult:
        raise AssertionError(f"a local operation started {entry_id}")

    def stop(self, entry_id: int) -> Entry:
        raise AssertionError(f"a local operation stopped {entry_id}")

    def find_running(self) -> Entry | None:
        raise AssertionError("a local operation asked for the running timer")


@pytest.fixture
def clocks() -> Clocks:
    return Clocks()


@pytest.fixture
def store(home: AppPaths) -> Iterator[Store]:
    with Store(home.cache_db) as opened:
        yield opened


@pytest.fixture(params=APIS)
def api(request: pytest.FixtureRequest) -> Api:
    """The Harvest API the engine talks: every engine test runs over v1 and over v2."""
    value: Api = request.param
    return value


@pytest.fixture
def wire(api: Api, sandbox: Sandbox) -> Wire:
    return Wire(api, sandbox)
