"""Day-of-year paths for every date 1970-2100, "today" in the user's Harvest zone, weeks."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harvest_widget.core.calendar import date_from_day_of_year, day_of_year_path, today_in, week_of, zone


def _every_date(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def test_day_of_year_path_is_right_for_every_date_from_1970_to_2100() -> None:
    for day in _every_date(dt.date(1970, 1, 1), dt.date(2100, 12, 31)):
        number = (day - dt.date(day.year, 1, 1)).days + 1  # counted independently of tm_yday
        assert day_of_year_path(day) == f"/daily/{number}/{day.year}"
        assert date_from_day_of_year(number, day.year) == day


@pytest.mark.parametrize(
    ("day", "path"),
    [
        (dt.date(2024, 1, 1), "/daily/1/2024"),  # unpadded, Jan 1 = 1
        (dt.date(2024, 2, 29), "/daily/60/2024"),  # leap day
        (dt.date(2024, 3, 1), "/daily/61/2024"),
        (dt.date(2024, 12, 31), "/daily/366/2024"),
        (dt.date(2023, 3, 1), "/daily/60/2023"),
        (dt.date(2023, 12, 31), "/daily/365/2023"),
        (dt.date(2000, 12, 31), "/daily/366/2000"),  # divisible by 400: leap
        (dt.date(2100, 12, 31), "/daily/365/2100"),  # divisible by 100 only: common
    ],
)
def test_day_of_year_path_examples_around_leap_days(day: dt.date, path: str) -> None:
    assert day_of_year_path(day) == path


@pytest.mark.parametrize(("number", "year"), [(0, 2024), (367, 2024), (366, 2023), (366, 2100), (-5, 2000)])
def test_days_outside_the_year_are_refused(number: int, year: int) -> None:
    with pytest.raises(ValueError):
        date_from_day_of_year(number, year)


@given(st.dates(min_value=dt.date(1970, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_day_path_round_trips(day: dt.date) -> None:
    number, year = day_of_year_path(day).split("/")[2:]
    assert date_from_day_of_year(int(number), int(year)) == day


def test_today_is_the_date_in_the_users_zone_not_the_machines() -> None:
    moment = dt.datetime(2026, 1, 1, 23, 30, tzinfo=dt.UTC)
    assert today_in("Europe/Berlin", moment) == dt.date(2026, 1, 2)
    assert today_in("America/New_York", moment) == dt.date(2026, 1, 1)
    assert today_in("Pacific/Kiritimati", dt.datetime(2026, 1, 1, 10, 0, tzinfo=dt.UTC)) == dt.date(
        2026, 1, 2
    )


def test_an_unknown_zone_falls_back_to_utc_and_says_so_once(caplog: pytest.LogCaptureFixture) -> None:
    zone.cache_clear()
    assert zone("Not/AZone") is dt.UTC and zone("") is dt.UTC
    assert zone("Not/AZone") is dt.UTC
    warnings = [r.getMessage() for r in caplog.records if r.name == "harvest_widget.core.calendar"]
    assert warnings == [
        "unknown time zone 'Not/AZone': dates are taken in UTC",
        "unknown time zone '': dates are taken in UTC",
    ]
    assert today_in("Not/AZone", dt.datetime(2026, 1, 1, 23, 30, tzinfo=dt.UTC)) == dt.date(2026, 1, 1)


@pytest.mark.parametrize(
    ("start", "first"),
    [
        ("Monday", dt.date(2026, 11, 23)),
        ("Sunday", dt.date(2026, 11, 22)),
        ("Saturday", dt.date(2026, 11, 28)),
    ],
)
def test_week_starts_on_the_accounts_week_start_day(start: str, first: dt.date) -> None:
    week = week_of(dt.date(2026, 11, 28), start)  # a Saturday
    assert week[0] == first and len(week) == 7 and dt.date(2026, 11, 28) in week
