"""Durations as people type and read them: exact parsing, formatting, and round trips."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harvest_widget.core.account import HoursFormat
from harvest_widget.core.durations import (
    DurationError,
    format_hours,
    format_seconds,
    hours_to_seconds,
    parse_duration,
    seconds_to_hours,
)

_SECONDS = st.integers(min_value=0, max_value=48 * 3600)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1.5", 5400),
        ("1,5", 5400),
        (" 1.5 ", 5400),
        ("1:30", 5400),
        ("0:05", 300),
        ("90m", 5400),
        ("45 min", 2700),
        ("1h30", 5400),
        ("1h 30m", 5400),
        ("1.5h", 5400),
        ("2 hours", 7200),
        ("2h", 7200),
        ("0", 0),
        ("1:20", 4800),  # exact: not 1.33 h * 3600
        ("48", 48 * 3600),
    ],
)
def test_typed_durations_parse_to_exact_seconds(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "   ", "abc", "1:75", "-1", "49", "1..5", "h", "nan", "inf"])
def test_nonsense_is_refused_with_one_sentence(text: str) -> None:
    with pytest.raises(DurationError) as caught:
        parse_duration(text)
    message = str(caught.value)
    assert message.endswith(".") and "\n" not in message


def test_decimal_hours_and_seconds_convert_half_up() -> None:
    assert seconds_to_hours(4800) == Decimal("1.33")
    assert seconds_to_hours(18) == Decimal("0.01")  # exactly half of 36 s rounds up
    assert seconds_to_hours(17) == Decimal("0.00")
    assert hours_to_seconds(Decimal("1.33")) == 4788


def test_formats_follow_the_accounts_style() -> None:
    assert format_seconds(5400, HoursFormat.DECIMAL) == "1.50"
    assert format_seconds(5400, HoursFormat.HOURS_MINUTES) == "1:30"
    assert format_seconds(89, HoursFormat.HOURS_MINUTES) == "0:01"  # nearest minute
    assert format_hours(Decimal("1.5"), HoursFormat.DECIMAL) == "1.50"
    assert format_hours(Decimal("1.5"), HoursFormat.HOURS_MINUTES) == "1:30"
    assert format_hours(Decimal("0.333"), HoursFormat.DECIMAL) == "0.33"


@given(_SECONDS)
def test_hours_minutes_text_round_trips_to_the_nearest_minute(seconds: int) -> None:
    text = format_seconds(seconds, HoursFormat.HOURS_MINUTES)
    assert parse_duration(text) == (seconds + 30) // 60 * 60


@given(_SECONDS)
def test_decimal_text_round_trips_through_harvest_hours(seconds: int) -> None:
    text = format_seconds(seconds, HoursFormat.DECIMAL)
    assert parse_duration(text) == hours_to_seconds(seconds_to_hours(seconds))
    assert abs(parse_duration(text) - seconds) <= 18


@given(st.decimals(min_value=0, max_value=48, places=2))
def test_two_place_hours_survive_seconds_exactly(hours: Decimal) -> None:
    assert seconds_to_hours(hours_to_seconds(hours)) == hours


@given(st.integers(min_value=0, max_value=48), st.integers(min_value=0, max_value=59))
def test_every_clock_style_text_parses(hours: int, minutes: int) -> None:
    if hours == 48 and minutes:
        with pytest.raises(DurationError):
            parse_duration(f"{hours}:{minutes:02d}")
    else:
        assert parse_duration(f"{hours}:{minutes:02d}") == hours * 3600 + minutes * 60
