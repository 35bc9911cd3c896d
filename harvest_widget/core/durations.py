"""Parsing and formatting of durations as people type and read them.

Durations are exact: Harvest's decimal hours are `Decimal`, typed input is parsed to whole seconds
first, so "1:20" is 4800 s and becomes 1.33 h only when it is sent as Harvest hours.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from harvest_widget.core.account import HoursFormat

_HOURS_PLACES = Decimal("0.01")
_MAX_SECONDS = 24 * 3600 * 2  # Harvest refuses more than a day or so; we allow a margin, not nonsense.

_CLOCK = re.compile(r"^(?P<h>\d{1,3}):(?P<m>\d{1,2})$")
_UNITS = re.compile(
    r"^(?:(?P<h>\d+(?:[.,]\d+)?)\s*h(?:ours?|rs?)?)?\s*"
    r"(?:(?P<m>\d+(?:[.,]\d+)?)\s*(?:m|mins?|minutes?)?)?$"
)


class DurationError(ValueError):
    """The text is not a duration; the message says what is accepted."""


def parse_duration(text: str) -> int:
    """Parse "1.5", "1,5", "1:30", "90m", "1h30", "1h 30m", "2h" into whole seconds.

    A bare number is hours (Harvest's convention). Raises `DurationError` with a user-ready message.
    """
    cleaned = text.strip().lower()
    if not cleaned:
        raise DurationError("Enter a duration such as 1.5, 1:30, 90m or 1h30.")
    seconds: Decimal | None = None
    if clock := _CLOCK.match(cleaned):
        minutes = int(clock["m"])
        if minutes >= 60:
            raise DurationError(f"“{text.strip()}” has {minutes} minutes; use 0 to 59 after the colon.")
        seconds = Decimal(int(clock["h"]) * 3600 + minutes * 60)
    else:
        try:
            seconds = Decimal(cleaned.replace(",", ".")) * 3600
        except InvalidOperation:
            units = _UNITS.match(cleaned)
            # A bare number was handled above, so a match here always carries an "h" or "m" unit.
            if units and (units["h"] or units["m"]):
                hours = Decimal(units["h"].replace(",", ".")) if units["h"] else Decimal(0)
                minutes_dec = Decimal(units["m"].replace(",", ".")) if units["m"] else Decimal(0)
                seconds = hours * 3600 + minutes_dec * 60
    if seconds is None or not seconds.is_finite():
        raise DurationError(f"“{text.strip()}” is not a duration; try 1.5, 1:30, 90m or 1h30.")
    if seconds < 0 or seconds > _MAX_SECONDS:
        raise DurationError(f"“{text.strip()}” is out of range; a duration is between 0 and 48 hours.")
    return int(seconds.to_integral_value(ROUND_HALF_UP))


def seconds_to_hours(seconds: int) -> Decimal:
    """Whole seconds as Harvest decimal hours, rounded to two places (half up)."""
    return (Decimal(seconds) / 3600).quantize(_HOURS_PLACES, ROUND_HALF_UP)


def hours_to_seconds(hours: Decimal) -> int:
    return int((hours * 3600).to_integral_value(ROUND_HALF_UP))


def format_hours(hours: Decimal, style: HoursFormat) -> str:
    """ "1.50" in decimal style, "1:30" in hours:minutes style."""
    if style is HoursFormat.DECIMAL:
        return str(hours.quantize(_HOURS_PLACES, ROUND_HALF_UP))
    return format_seconds(hours_to_seconds(hours), style)


def format_seconds(seconds: int, style: HoursFormat) -> str:
    if style is HoursFormat.DECIMAL:
        return str(seconds_to_hours(seconds))
    minutes = (seconds + 30) // 60
    return f"{minutes // 60}:{minutes % 60:02d}"
