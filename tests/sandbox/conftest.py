"""A sandbox on a hand-driven clock, so timer and throttle tests never sleep."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from harvest_widget.sandbox import ManualClock, Sandbox

# A Tuesday: 11:00 in Berlin (admin), 10:00 in London (member), 03:00 in Los Angeles (timestamp).
START = dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def manual(clock: ManualClock) -> Iterator[Sandbox]:
    """A started sandbox whose clock moves only when the test says so."""
    with Sandbox(clock=clock) as server:
        yield server
