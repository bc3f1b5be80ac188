from __future__ import annotations

from datetime import UTC, datetime

import pytest

from common import clock
from common.clock import SessionClock

SESSION = 6.5 * 3600  # a full XNYS session, in seconds


@pytest.fixture
def wall_time(monkeypatch):
    state = {"now": 1_700_000_000.0}
    monkeypatch.setattr(clock.time, "time", lambda: state["now"])
    return state


def session_clock(wall_time, speed: float = 450.0) -> SessionClock:
    return SessionClock(
        anchor_unix=wall_time["now"], speed=speed, calendar="XNYS", start="2026-03-30"
    )


def test_the_session_clock_starts_at_the_first_open(wall_time):
    assert session_clock(wall_time).now() == datetime(2026, 3, 30, 13, 30, tzinfo=UTC)


def test_market_time_runs_speed_times_faster_within_a_session(wall_time):
    ticking = session_clock(wall_time)
    wall_time["now"] += 8  # 8 wall seconds at 450x: one hour of market time

    assert ticking.now() == datetime(2026, 3, 30, 14, 30, tzinfo=UTC)


def test_the_close_jumps_to_the_next_open_skipping_the_night(wall_time):
    ticking = session_clock(wall_time)
    wall_time["now"] += SESSION / 450

    assert ticking.now() == datetime(2026, 3, 31, 13, 30, tzinfo=UTC)


def test_weekends_and_good_friday_take_no_wall_time(wall_time):
    ticking = session_clock(wall_time)
    wall_time["now"] += 4 * SESSION / 450  # Mon..Thu; Fri 3 April 2026 is Good Friday

    assert ticking.now() == datetime(2026, 4, 6, 13, 30, tzinfo=UTC)


def test_wall_time_of_inverts_the_clock(wall_time):
    ticking = session_clock(wall_time)
    moment = ticking.at_session_seconds(2 * SESSION + 600)

    assert ticking.wall_time_of(moment) == pytest.approx(
        wall_time["now"] + (2 * SESSION + 600) / 450
    )


def test_before_the_anchor_the_clock_runs_up_to_the_open(wall_time):
    ticking = session_clock(wall_time)
    wall_time["now"] -= 2

    assert ticking.now() == datetime(2026, 3, 30, 13, 15, tzinfo=UTC)


def test_the_setting_installs_the_session_clock(settings, monkeypatch):
    settings.TRADINGOPS_CLOCK_SPEED = 450.0
    settings.TRADINGOPS_CLOCK_ANCHOR = 1_700_000_000.0
    settings.TRADINGOPS_CLOCK_SESSION_START = "2026-03-30"
    monkeypatch.setattr(clock, "_clock", None)

    assert isinstance(clock.get_clock(), SessionClock)
