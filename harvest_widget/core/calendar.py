"""Dates in the user's Harvest time zone, v1 day paths and weeks."""

from __future__ import annotations

import datetime as dt
import functools
import logging
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

log = logging.getLogger(__name__)

_WEEKDAYS = {
    "monday": 0,
    "tuesday": 1,
    "wednesday": 2,
    "thursday": 3,
    "friday": 4,
    "saturday": 5,
    "sunday": 6,
}


@functools.cache
def zone(name: str) -> dt.tzinfo:
    """The IANA zone `name`, or UTC when the name is unknown (never raises; logged once per name,
    since "today" is then UTC's date, which is worth finding in a user's log)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("unknown time zone %r: dates are taken in UTC", name)
        return dt.UTC


def today_in(zone_name: str, now: dt.datetime | None = None) -> dt.date:
    """The calendar date it is now for a user in `zone_name` (not the machine's zone)."""
    moment = now if now is not None else dt.datetime.now(dt.UTC)
    return moment.astimezone(zone(zone_name)).date()


def day_of_year_path(day: dt.date) -> str:
    """v1's `/daily/{day_of_year}/{year}` path: unpadded, Jan 1 = 1."""
    return f"/daily/{day.timetuple().tm_yday}/{day.year}"


def date_from_day_of_year(day_of_year: int, year: int) -> dt.date:
    """Inverse of `day_of_year_path`; raises ValueError for 0, 367 or 366 in a common year."""
    if day_of_year < 1:
        raise ValueError(f"day of year {day_of_year} is before January 1")
    result = dt.date(year, 1, 1) + dt.timedelta(days=day_of_year - 1)
    if result.year != year:
        raise ValueError(f"{year} has no day {day_of_year}")
    return result


def week_of(day: dt.date, week_start_day: str = "Monday") -> tuple[dt.date, ...]:
    """The seven dates of the week holding `day`, starting on the account's week start day."""
    start_index = _WEEKDAYS.get(week_start_day.strip().lower(), 0)
    offset = (day.weekday() - start_index) % 7
    first = day - dt.timedelta(days=offset)
    return tuple(first + dt.timedelta(days=i) for i in range(7))
