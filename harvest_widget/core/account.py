"""Who the signed-in user is and how their Harvest account wants time shown and tracked."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class TimerMode(Enum):
    DURATION = "duration"
    TIMESTAMP = "timestamp"  # start/end times instead of hours


class HoursFormat(Enum):
    DECIMAL = "decimal"
    HOURS_MINUTES = "hours_minutes"


@dataclass(frozen=True, slots=True)
class WhoAmI:
    """The user and company behind a set of credentials.

    `time_zone` is an IANA name (e.g. "America/New_York"); "today" and day paths are computed in it.
    """

    user_id: int
    email: str
    first_name: str = ""
    last_name: str = ""
    is_admin: bool = False
    time_zone: str = "UTC"
    timer_mode: TimerMode = TimerMode.DURATION
    clock: str = "24h"
    hours_format: HoursFormat = HoursFormat.DECIMAL
    week_start_day: str = "Monday"
    company_name: str = ""
    base_uri: str = ""

    @property
    def display_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or self.email


@dataclass(frozen=True, slots=True)
class RateLimitStatus:
    """v1's `/account/rate_limit_status`: the throttle window Harvest enforces on this account."""

    count: int
    max_calls: int
    timeframe_seconds: int
    lockout_seconds: int | None = None
