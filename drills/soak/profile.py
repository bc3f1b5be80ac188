"""Soak profiles and the session plan (pure: no ORM, only the exchange calendar)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

import exchange_calendars as xcals

from marketdata.timeframes import timeframe_delta

# 14 sessions from here cross Good Friday (3 April 2026): the clock must skip a holiday too.
DEFAULT_FIRST_SESSION = "2026-03-30"
# Wall seconds per bar in a compressed run: enough for ingest and a trading cycle on 2 cores.
WALL_SECONDS_PER_BAR = 2.0
# Wall seconds from a bar's end until a trading cycle acts on it: the ingest and trade periods
# (1 s each) plus task latency on 2 busy cores. At 450x that is 1,800 market seconds, past
# the production price-age limit (600 s), so the soak strategy gets this allowance instead.
PRICE_AGE_WALL_SECONDS = 4.0
FAULT_PROFILES = ("none", "providers", "chaos")
BROKERS = ("paper", "simulator")


@dataclass(frozen=True)
class SoakProfile:
    trading_days: int = 14
    instruments: int = 3
    speed: float = 0.0  # 0: derived from the timeframe (WALL_SECONDS_PER_BAR per bar)
    faults: str = "none"
    timeframe: str = "15m"
    first_session: str = DEFAULT_FIRST_SESSION
    calendar: str = "XNYS"
    history_sessions: int = 30
    schedule_seconds: int = 1
    broker: str = "paper"  # "simulator" once execution has run_broker_simulator

    @property
    def clock_speed(self) -> float:
        """Market seconds per wall second; 1 is the real clock (the two-week staging run)."""
        if self.speed:
            return self.speed
        return timeframe_delta(self.timeframe).total_seconds() / WALL_SECONDS_PER_BAR

    @property
    def max_price_age_s(self) -> int:
        """The soak strategy's price-age limit in market seconds: the wall-time allowance at
        the clock's speed (the seed keeps the global limit where that is stricter)."""
        return round(PRICE_AGE_WALL_SECONDS * self.clock_speed)

    def as_dict(self) -> dict:
        return asdict(self) | {
            "clock_speed": self.clock_speed,
            "max_price_age_s": self.max_price_age_s,
        }


@dataclass(frozen=True)
class Session:
    label: str  # YYYY-MM-DD
    open: datetime
    close: datetime

    @property
    def seconds(self) -> float:
        return (self.close - self.open).total_seconds()


def session_plan(*, first_session: str, trading_days: int, calendar: str) -> list[Session]:
    """The soak's sessions: ``trading_days`` sessions from the first on or after the date."""
    exchange = xcals.get_calendar(calendar)
    first = exchange.date_to_session(first_session, direction="next")
    labels = exchange.sessions_window(first, trading_days)
    return [
        Session(
            label=label.date().isoformat(),
            open=exchange.session_open(label).to_pydatetime(),
            close=exchange.session_close(label).to_pydatetime(),
        )
        for label in labels
    ]


def expected_wall_seconds(plan: list[Session], speed: float) -> float:
    """How long the sessions take on the session clock (nights and holidays take none)."""
    return sum(session.seconds for session in plan) / speed
