from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from common.exceptions import ValidationFailed
from marketdata.timeframes import floor_to_timeframe, last_complete_bar_end, timeframe_delta

TIMEFRAMES = ["1m", "5m", "15m", "1h", "1d"]


@pytest.mark.parametrize(
    ("timeframe", "delta"),
    [
        ("1m", timedelta(minutes=1)),
        ("5m", timedelta(minutes=5)),
        ("15m", timedelta(minutes=15)),
        ("1h", timedelta(hours=1)),
        ("1d", timedelta(days=1)),
    ],
)
def test_timeframe_delta_knows_every_supported_timeframe(timeframe, delta):
    assert timeframe_delta(timeframe) == delta


@pytest.mark.parametrize("timeframe", ["2m", "1w", "", "1M", "60s"])
def test_an_unknown_timeframe_is_a_validation_failure_naming_the_choices(timeframe):
    with pytest.raises(ValidationFailed, match="expected one of"):
        timeframe_delta(timeframe)


@pytest.mark.parametrize(
    ("timeframe", "expected"),
    [
        ("1m", datetime(2024, 3, 4, 14, 37, tzinfo=UTC)),
        ("5m", datetime(2024, 3, 4, 14, 35, tzinfo=UTC)),
        ("15m", datetime(2024, 3, 4, 14, 30, tzinfo=UTC)),
        ("1h", datetime(2024, 3, 4, 14, 0, tzinfo=UTC)),
        ("1d", datetime(2024, 3, 4, 0, 0, tzinfo=UTC)),
    ],
)
def test_floor_to_timeframe_gives_the_start_of_the_containing_interval(timeframe, expected):
    moment = datetime(2024, 3, 4, 14, 37, 42, 123456, tzinfo=UTC)

    assert floor_to_timeframe(moment, timeframe) == expected


def test_a_moment_on_a_boundary_is_its_own_floor():
    boundary = datetime(2024, 3, 4, 14, 35, tzinfo=UTC)

    assert floor_to_timeframe(boundary, "5m") == boundary


def test_floor_of_a_non_utc_moment_is_the_same_instant_as_its_utc_floor():
    new_york = timezone(timedelta(hours=-5))
    moment = datetime(2024, 3, 4, 21, 30, tzinfo=new_york)  # 2024-03-05 02:30 UTC

    floor = floor_to_timeframe(moment, "1d")

    assert floor == datetime(2024, 3, 5, tzinfo=UTC)
    assert floor.utcoffset() == timedelta(0)


def test_last_complete_bar_end_excludes_the_bar_still_in_progress():
    now = datetime(2024, 3, 4, 14, 37, 30, tzinfo=UTC)

    assert last_complete_bar_end(now, "1m") == datetime(2024, 3, 4, 14, 37, tzinfo=UTC)
    assert last_complete_bar_end(now, "5m") == datetime(2024, 3, 4, 14, 35, tzinfo=UTC)


def test_last_complete_bar_end_on_a_boundary_includes_the_bar_that_just_closed():
    now = datetime(2024, 3, 4, 14, 40, tzinfo=UTC)

    # Bars start strictly before the bound: the 14:35 bar ended at 14:40 and is complete.
    assert last_complete_bar_end(now, "5m") == now


@given(
    moment=st.datetimes(
        min_value=datetime(2000, 1, 1),  # noqa: DTZ001
        max_value=datetime(2100, 1, 1),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    timeframe=st.sampled_from(TIMEFRAMES),
)
def test_floor_is_the_interval_start_at_or_before_the_moment(moment, timeframe):
    step = timeframe_delta(timeframe)

    floor = floor_to_timeframe(moment, timeframe)

    assert floor <= moment < floor + step
    assert (floor - datetime(1970, 1, 1, tzinfo=UTC)) % step == timedelta(0)
    assert floor_to_timeframe(floor, timeframe) == floor
