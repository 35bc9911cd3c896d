"""Time as the widget shows it: a running timer's hours are the server's hours when last synced
plus the monotonic time elapsed since, never accumulated ticks and never the wall clock (which
jumps across sleep, NTP and manual changes), except once after a reboot reset the monotonic clock.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal

from harvest_widget.core.durations import seconds_to_hours
from harvest_widget.core.timesheet import ZERO_HOURS, Entry
from harvest_widget.store.cache import CachedEntry

_PRECISE_HOURS = Decimal("0.000001")
_CLOCK_TIME = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*([ap]m)?\s*$", re.IGNORECASE)


class RunningTime:
    """The two clocks: `clock` (UTC wall time, for timestamps) and `monotonic` (for elapsed time)."""

    def __init__(self, clock: Callable[[], dt.datetime], monotonic: Callable[[], float]) -> None:
        self.now = clock
        self.monotonic = monotonic

    def anchored(self, entry: Entry) -> CachedEntry:
        """A running entry whose hours are true now."""
        return CachedEntry(entry, anchor_mono=self.monotonic(), anchor_at=self.now())

    def elapsed(self, cached: CachedEntry, monotonic_now: float | None = None) -> float:
        """Seconds a running timer has run since its hours were true, by the monotonic clock; the
        wall clock only when a reboot reset the monotonic one (until the next refresh says)."""
        now = self.monotonic() if monotonic_now is None else monotonic_now
        if cached.anchor_mono is not None and now >= cached.anchor_mono:
            return now - cached.anchor_mono
        if cached.anchor_at is None:
            return 0.0
        return max((self.now() - cached.anchor_at).total_seconds(), 0.0)

    def live(self, cached: CachedEntry, monotonic_now: float) -> Entry:
        """The entry with its hours at `monotonic_now` (to the second, for a ticking display)."""
        entry = cached.entry
        if not entry.is_running:
            return entry
        live = entry.hours + Decimal(self.elapsed(cached, monotonic_now)) / 3600
        return dataclasses.replace(entry, hours=live.quantize(_PRECISE_HOURS))

    def stopped(self, cached: CachedEntry) -> Entry:
        """The entry stopped now, with the hours its timer counted (Harvest's two places)."""
        entry = cached.entry
        if not entry.is_running:
            return entry
        seconds = round(float(entry.hours) * 3600 + self.elapsed(cached))
        return dataclasses.replace(
            entry,
            hours=seconds_to_hours(seconds),
            hours_without_timer=None,
            timer_started_at=None,
            updated_at=self.now(),
        )


def span_hours(started_at: str | None, ended_at: str | None) -> Decimal:
    """Hours between two Harvest times of day ("8:00am", "17:30"), or 0 when not both readable."""
    start, end = clock_minutes(started_at), clock_minutes(ended_at)
    if start is None or end is None or end < start:
        return ZERO_HOURS
    return seconds_to_hours((end - start) * 60)


def clock_minutes(text: str | None) -> int | None:
    """Minutes after midnight of a Harvest time of day ("8:00am", "08:00", "17:30"), or None."""
    match = _CLOCK_TIME.match(text or "")
    if not match:
        return None
    hour, minute, half = int(match[1]), int(match[2]), (match[3] or "").lower()
    if half:
        hour = hour % 12 + (12 if half == "pm" else 0)
    return hour * 60 + minute
