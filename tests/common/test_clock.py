from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from common import clock
from common.clock import FrozenClock, ScaledClock, SystemClock, set_clock, start_of_day

NEW_YORK = "America/New_York"


@pytest.fixture
def wall_time(monkeypatch):
    """A controllable ``time.time`` as seen by ``common.clock``."""
    state = {"now": 1_700_000_000.0}
    monkeypatch.setattr(clock.time, "time", lambda: state["now"])
    return state


@pytest.fixture
def no_installed_clock(monkeypatch):
    """Start without a process clock; monkeypatch puts the previous one back afterwards."""
    monkeypatch.setattr(clock, "_clock", None)


def test_frozen_clock_returns_the_same_moment_until_advanced():
    at = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    frozen = FrozenClock(at)

    assert frozen.now() == at
    assert frozen.now() == at


def test_frozen_clock_advance_moves_time_by_exactly_the_delta():
    frozen = FrozenClock(datetime(2024, 5, 1, 12, 0, tzinfo=UTC))

    frozen.advance(timedelta(minutes=5))
    frozen.advance(timedelta(seconds=30))

    assert frozen.now() == datetime(2024, 5, 1, 12, 5, 30, tzinfo=UTC)


def test_frozen_clock_refuses_a_naive_datetime():
    with pytest.raises(ValueError, match="aware"):
        FrozenClock(datetime(2024, 5, 1, 12, 0))  # noqa: DTZ001


def test_system_clock_gives_aware_utc_time():
    before = datetime.now(tz=UTC)
    moment = SystemClock().now()
    after = datetime.now(tz=UTC)

    assert moment.utcoffset() == timedelta(0)
    assert before <= moment <= after


def test_scaled_clock_reads_the_anchor_at_the_anchor_instant(wall_time):
    wall_time["now"] = 1_000.0
    scaled = ScaledClock(anchor_unix=1_000.0, speed=60.0)

    assert scaled.now() == datetime.fromtimestamp(1_000.0, tz=UTC)


def test_scaled_clock_runs_speed_times_faster_than_wall_time(wall_time):
    wall_time["now"] = 1_000.0
    scaled = ScaledClock(anchor_unix=1_000.0, speed=60.0)
    start = scaled.now()

    wall_time["now"] = 1_010.0  # ten wall seconds later

    assert scaled.now() - start == timedelta(minutes=10)


def test_scaled_clock_counts_from_the_anchor_not_from_construction(wall_time):
    wall_time["now"] = 1_100.0  # the process started 100 s after the shared anchor

    scaled = ScaledClock(anchor_unix=1_000.0, speed=2.0)

    assert scaled.now() == datetime.fromtimestamp(1_000.0 + 200.0, tz=UTC)


def test_two_scaled_clocks_with_the_same_anchor_agree(wall_time):
    wall_time["now"] = 5_000.0
    web = ScaledClock(anchor_unix=1_000.0, speed=10.0)
    worker = ScaledClock(anchor_unix=1_000.0, speed=10.0)

    assert web.now() == worker.now()


@pytest.mark.parametrize("speed", [0.0, -1.0])
def test_scaled_clock_rejects_a_non_positive_speed(speed):
    with pytest.raises(ValueError, match="positive"):
        ScaledClock(anchor_unix=0.0, speed=speed)


def test_start_of_day_on_an_ordinary_day_in_new_york_is_local_midnight():
    moment = datetime(2024, 6, 12, 18, 30, tzinfo=UTC)  # 14:30 EDT

    start = start_of_day(moment, NEW_YORK)

    assert start == datetime(2024, 6, 12, 4, 0, tzinfo=UTC)
    assert start.tzinfo is not None


def test_start_of_day_uses_the_local_calendar_day_not_the_utc_one():
    moment = datetime(2024, 6, 13, 2, 0, tzinfo=UTC)  # still 22:00 on the 12th in New York

    assert start_of_day(moment, NEW_YORK) == datetime(2024, 6, 12, 4, 0, tzinfo=UTC)


def test_start_of_day_when_clocks_spring_forward_is_midnight_standard_time():
    # 2024-03-10: New York jumps from 02:00 EST to 03:00 EDT; midnight was still EST (-05:00).
    moment = datetime(2024, 3, 10, 15, 0, tzinfo=UTC)  # 11:00 EDT

    start = start_of_day(moment, NEW_YORK)

    assert start == datetime(2024, 3, 10, 5, 0, tzinfo=UTC)
    assert start.utcoffset() == timedelta(hours=-5)


def test_start_of_day_when_clocks_fall_back_is_midnight_daylight_time():
    # 2024-11-03: New York falls back from 02:00 EDT to 01:00 EST; midnight was still EDT.
    moment = datetime(2024, 11, 3, 20, 0, tzinfo=UTC)  # 15:00 EST

    start = start_of_day(moment, NEW_YORK)

    assert start == datetime(2024, 11, 3, 4, 0, tzinfo=UTC)
    assert start.utcoffset() == timedelta(hours=-4)


def test_trading_days_around_dst_changes_last_23_and_25_hours():
    def day_length(utc_noon: datetime) -> timedelta:
        # Subtract in UTC: two datetimes sharing one ZoneInfo subtract as wall-clock times.
        today = start_of_day(utc_noon, NEW_YORK).astimezone(UTC)
        tomorrow = start_of_day(utc_noon + timedelta(days=1), NEW_YORK).astimezone(UTC)
        return tomorrow - today

    assert day_length(datetime(2024, 3, 10, 17, 0, tzinfo=UTC)) == timedelta(hours=23)
    assert day_length(datetime(2024, 11, 3, 17, 0, tzinfo=UTC)) == timedelta(hours=25)
    assert day_length(datetime(2024, 6, 12, 17, 0, tzinfo=UTC)) == timedelta(hours=24)


def test_start_of_day_is_in_the_requested_timezone():
    start = start_of_day(datetime(2024, 6, 12, 18, 30, tzinfo=UTC), NEW_YORK)

    assert start.tzinfo == ZoneInfo(NEW_YORK)
    assert (start.hour, start.minute, start.second, start.microsecond) == (0, 0, 0, 0)


def test_now_reads_the_installed_clock(no_installed_clock):
    frozen = FrozenClock(datetime(2024, 5, 1, 12, 0, tzinfo=UTC))
    set_clock(frozen)

    assert clock.now() == datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    frozen.advance(timedelta(minutes=1))
    assert clock.now() == datetime(2024, 5, 1, 12, 1, tzinfo=UTC)


def test_set_clock_none_goes_back_to_the_configured_system_clock(no_installed_clock, settings):
    settings.TRADINGOPS_CLOCK_SPEED = 1.0
    set_clock(FrozenClock(datetime(2024, 5, 1, 12, 0, tzinfo=UTC)))

    set_clock(None)

    assert isinstance(clock.get_clock(), SystemClock)
    assert abs(clock.now() - datetime.now(tz=UTC)) < timedelta(seconds=5)


def test_configured_speed_and_anchor_give_a_scaled_clock(no_installed_clock, settings, wall_time):
    settings.TRADINGOPS_CLOCK_SPEED = 30.0
    settings.TRADINGOPS_CLOCK_ANCHOR = 1_000.0
    wall_time["now"] = 1_002.0

    configured = clock.get_clock()

    assert isinstance(configured, ScaledClock)
    assert clock.now() == datetime.fromtimestamp(1_000.0 + 60.0, tz=UTC)


def test_configured_clock_is_built_once_per_process(no_installed_clock, settings):
    settings.TRADINGOPS_CLOCK_SPEED = 1.0

    assert clock.get_clock() is clock.get_clock()
