"""The sliding-window limiter on a fake clock, and its SQLite store shared by real processes."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harvest_widget.api.errors import ThrottledError
from harvest_widget.api.rate_limiter import SlidingWindowLimiter, SqliteWindowStore


class FakeClock:
    """Wall-clock seconds that move only when someone sleeps (or the test says so)."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _limiter(
    clock: FakeClock, store: SqliteWindowStore | None = None, **kwargs: float
) -> SlidingWindowLimiter:
    return SlidingWindowLimiter(
        int(kwargs.pop("max_calls", 3)),
        kwargs.pop("window_seconds", 10.0),
        store,
        clock=clock,
        sleep=clock.sleep,
        safety_seconds=kwargs.pop("safety_seconds", 0.5),
    )


def _call(limiter: SlidingWindowLimiter, clock: FakeClock, latency: float = 0.0) -> float:
    """One call through the limiter; returns when it was sent."""
    slot = limiter.acquire()
    sent = clock.now
    clock.now += latency
    limiter.release(slot)
    return sent


def test_a_full_window_goes_at_once_and_the_next_call_waits_for_window_plus_safety() -> None:
    clock = FakeClock()
    limiter = _limiter(clock)
    start = clock.now
    assert [_call(limiter, clock) for _ in range(3)] == [start] * 3
    assert _call(limiter, clock) == pytest.approx(start + 10.5)


def test_calls_count_from_their_reply_so_latency_cannot_squeeze_two_windows_together() -> None:
    clock = FakeClock()
    limiter = _limiter(clock, max_calls=1)
    first = _call(limiter, clock, latency=2.0)  # Harvest may have counted it as late as first + 2 s
    assert _call(limiter, clock) == pytest.approx(first + 2.0 + 10.5)


def test_a_call_in_flight_keeps_its_slot_until_released() -> None:
    clock = FakeClock()
    limiter = _limiter(clock, max_calls=1)
    slot = limiter.acquire()
    with pytest.raises(ThrottledError):
        limiter.acquire(max_wait=30.0)  # no reply yet: Harvest may count it any time from now
    clock.now += 40.0
    limiter.release(slot)
    released = clock.now
    with pytest.raises(ThrottledError):
        limiter.acquire(max_wait=5.0)
    assert _call(limiter, clock) == pytest.approx(released + 10.5)


def test_lockout_stops_every_caller_until_it_ends() -> None:
    clock = FakeClock()
    store = SqliteWindowStore()
    widget, cli = _limiter(clock, store), _limiter(clock, store)
    until = clock.now + 16.0
    widget.lock_out_until(dt.datetime.fromtimestamp(until, dt.UTC))
    assert cli.locked_until() == dt.datetime.fromtimestamp(until, dt.UTC)
    assert _call(cli, clock) == pytest.approx(until)
    assert cli.locked_until() is None


def test_an_earlier_lockout_never_shortens_a_later_one() -> None:
    clock = FakeClock()
    limiter = _limiter(clock)
    later = dt.datetime.fromtimestamp(clock.now + 30, dt.UTC)
    limiter.lock_out_until(later)
    limiter.lock_out_until(dt.datetime.fromtimestamp(clock.now + 5, dt.UTC))
    assert limiter.locked_until() == later


def test_wait_longer_than_max_wait_raises_throttled_with_the_time_calls_may_resume() -> None:
    clock = FakeClock()
    limiter = _limiter(clock)
    limiter.lock_out_until(dt.datetime.fromtimestamp(clock.now + 60, dt.UTC))
    with pytest.raises(ThrottledError) as caught:
        limiter.acquire(max_wait=10.0)
    assert caught.value.retry_at == dt.datetime.fromtimestamp(clock.now + 60, dt.UTC)
    assert clock.slept == []  # refused at once, did not wait first


def test_adopted_limits_apply_to_the_next_calls() -> None:
    clock = FakeClock()
    limiter = _limiter(clock, max_calls=100)
    limiter.set_limits(2, 4.0)
    start = clock.now
    sent = [_call(limiter, clock) for _ in range(3)]
    assert sent[2] == pytest.approx(start + 4.0 + 0.5)
    with pytest.raises(ValueError):
        limiter.set_limits(0, 4.0)


def test_default_safety_margin_is_small_but_never_zero() -> None:
    assert SlidingWindowLimiter(100, 15.0).horizon == pytest.approx(15.15)
    assert SlidingWindowLimiter(10, 1.5).horizon == pytest.approx(1.55)


def test_a_clock_that_jumps_back_does_not_block_for_the_jump() -> None:
    clock = FakeClock()
    limiter = _limiter(clock, max_calls=1)
    _call(limiter, clock)
    clock.now -= 3600  # NTP correction or a manual change
    assert _call(limiter, clock) == pytest.approx(clock.now)


def test_store_file_is_private_to_the_user(tmp_path: Path) -> None:
    path = tmp_path / "data" / "throttle.sqlite3"
    SqliteWindowStore(path, "a").close()
    assert path.stat().st_mode & 0o777 == 0o600


_WORKER = """
import sys, time
from harvest_widget.api.rate_limiter import SlidingWindowLimiter, SqliteWindowStore
limiter = SlidingWindowLimiter(5, 0.6, SqliteWindowStore(sys.argv[1], "acct"), safety_seconds=0.01)
stamps = []
for _ in range(12):
    slot = limiter.acquire()
    stamps.append(time.time())
    limiter.release(slot)
print(" ".join(repr(s) for s in stamps))
"""


def test_processes_sharing_one_file_share_one_budget(tmp_path: Path) -> None:
    path = tmp_path / "throttle.sqlite3"
    SqliteWindowStore(path, "acct").close()
    workers = [
        subprocess.Popen([sys.executable, "-c", _WORKER, str(path)], stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    started = time.time()
    stamps = sorted(float(s) for w in workers for s in w.communicate(timeout=60)[0].split())
    assert all(w.returncode == 0 for w in workers)
    assert len(stamps) == 24
    # 24 calls at 5 per 0.6 s need at least 4 full windows, whoever sends them.
    assert stamps[-1] - stamps[0] >= 4 * 0.6
    for i in range(len(stamps) - 5):
        assert stamps[i + 5] - stamps[i] >= 0.6, f"6 calls within 0.6 s from {stamps[i] - started:.3f} s"


def test_a_caller_whose_clock_reading_is_a_little_older_still_sees_the_call_in_flight() -> None:
    # Threads and processes read the clock before they get the lock, so "now" can go back a bit.
    store = SqliteWindowStore()
    slot, _ = store.reserve(1000.0, max_calls=1, horizon=1.0)
    assert slot is not None
    assert store.reserve(999.99, max_calls=1, horizon=1.0)[0] is None
