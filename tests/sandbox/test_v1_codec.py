"""The sandbox's v1 value formats: what it writes it can read back, whatever the locale."""

from __future__ import annotations

import datetime as dt
import email.utils
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harvest_widget.sandbox.v1_codec import (
    parse_date,
    parse_hours,
    parse_time_of_day,
    rfc_date,
    rfc_datetime,
    time_of_day,
)
from harvest_widget.sandbox.world import Invalid

dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2200, 12, 31))


@given(dates)
def test_rfc_and_iso_dates_read_back(day: dt.date) -> None:
    assert parse_date(rfc_date(day)) == day
    assert parse_date(day.isoformat()) == day
    assert parse_date(f"{day:%b} {day.day} {day.year}") == day


def test_rfc_date_matches_the_docs_example() -> None:
    assert rfc_date(dt.date(2006, 10, 18)) == "Wed, 18 Oct 2006"


@given(st.datetimes(min_value=dt.datetime(1970, 1, 2), max_value=dt.datetime(2200, 1, 1)))
def test_rfc_datetimes_are_utc_with_plus_zero_offset(moment: dt.datetime) -> None:
    text = rfc_datetime(moment.replace(tzinfo=dt.UTC, microsecond=0))
    assert text.endswith(" +0000")
    assert email.utils.parsedate_to_datetime(text) == moment.replace(tzinfo=dt.UTC, microsecond=0)


@given(st.times().map(lambda t: t.replace(second=0, microsecond=0)), st.sampled_from(["12h", "24h"]))
def test_times_of_day_read_back_on_both_clocks(moment: dt.time, clock: str) -> None:
    assert parse_time_of_day(time_of_day(moment, clock)) == moment


def test_twelve_hour_times_look_like_harvests() -> None:
    assert time_of_day(dt.time(8, 0), "12h") == "8:00am"
    assert time_of_day(dt.time(0, 5), "12h") == "12:05am"
    assert time_of_day(dt.time(12, 30), "12h") == "12:30pm"
    assert time_of_day(dt.time(16, 45), "24h") == "16:45"


@pytest.mark.parametrize("text", ["13:00pm", "25:00", "8:61am", "noon", ""])
def test_nonsense_times_are_invalid(text: str) -> None:
    with pytest.raises(Invalid):
        parse_time_of_day(text)


@pytest.mark.parametrize(
    ("text", "hours"),
    [("1.5", Decimal("1.5")), ("1,25", Decimal("1.25")), ("1:30", Decimal("1.5")), ("3", 3)],
)
def test_hours_are_decimal_comma_or_clock_style(text: str, hours: Decimal) -> None:
    assert parse_hours(text) == hours


@pytest.mark.parametrize("text", ["1:75", "lots", "NaN", "Infinity"])
def test_nonsense_hours_are_invalid(text: str) -> None:
    with pytest.raises(Invalid):
        parse_hours(text)
