"""The one clock every service reads time from.

Nothing calls ``datetime.now()`` on its own: replay, soak runs and the sped-up demo swap the
clock here and every service follows.
"""

from __future__ import annotations

import bisect
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from django.conf import settings


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """Wall-clock time in UTC."""

    def now(self) -> datetime:
        return datetime.now(tz=UTC)


class ScaledClock:
    """Market time running ``speed`` times faster than wall time from a shared anchor.

    Every process of one run gets the same anchor (a Unix timestamp), so web, worker and beat
    agree on the market time without talking to each other.
    """

    def __init__(self, *, anchor_unix: float, speed: float) -> None:
        if speed <= 0:
            raise ValueError("clock speed must be positive")
        self.anchor_unix = anchor_unix
        self.speed = speed

    def now(self) -> datetime:
        elapsed = (time.time() - self.anchor_unix) * self.speed
        return datetime.fromtimestamp(self.anchor_unix + elapsed, tz=UTC)


class SessionClock:
    """Market time that runs only through exchange sessions, ``speed`` times faster than wall.

    Session seconds elapse from the open of the ``start`` session, which is at wall time
    ``anchor_unix``; at a session's close the clock jumps to the next session's open, so
    nights, weekends and holidays take no wall time (a compressed soak of 14 trading days
    spends its minutes on trading). Early closes are honoured: the sessions and their
    open/close times come from exchange-calendars. Before the anchor the clock runs
    continuously up to the first open (warm-up).
    """

    def __init__(
        self, *, anchor_unix: float, speed: float, calendar: str, start: str, sessions: int = 400
    ) -> None:
        # Loaded here: exchange-calendars brings pandas, and only a process that runs a
        # session clock (the demo, soak runs) needs it; every process imports this module.
        import exchange_calendars as xcals

        if speed <= 0:
            raise ValueError("clock speed must be positive")
        schedule = xcals.get_calendar(calendar).schedule
        schedule = schedule[schedule.index >= start].iloc[:sessions]
        if schedule.empty:
            raise ValueError(f"no {calendar} session on or after {start}")
        self.anchor_unix = anchor_unix
        self.speed = speed
        self.opens = [moment.to_pydatetime().astimezone(UTC) for moment in schedule["open"]]
        self.closes = [moment.to_pydatetime().astimezone(UTC) for moment in schedule["close"]]
        # Cumulative session seconds at each session's open, to find a moment by bisection.
        self._elapsed_at_open = [0.0]
        for opened, closed in zip(self.opens, self.closes, strict=True):
            self._elapsed_at_open.append(
                self._elapsed_at_open[-1] + (closed - opened).total_seconds()
            )

    def at_session_seconds(self, elapsed: float) -> datetime:
        """The market moment ``elapsed`` session seconds after the first open."""
        if elapsed < 0:
            return self.opens[0] + timedelta(seconds=elapsed)
        index = bisect.bisect_right(self._elapsed_at_open, elapsed) - 1
        if index >= len(self.opens):
            raise ValueError("the session clock ran past its last loaded session")
        return self.opens[index] + timedelta(seconds=elapsed - self._elapsed_at_open[index])

    def wall_time_of(self, moment: datetime) -> float:
        """The Unix wall time at which the clock shows ``moment`` (a close maps to the next
        open's wall time: the session seconds between them are zero)."""
        index = max(bisect.bisect_right(self.opens, moment) - 1, 0)
        offset = (moment - self.opens[index]).total_seconds()
        if index < len(self.closes) and moment >= self.closes[index]:
            offset = (self.closes[index] - self.opens[index]).total_seconds()
        return self.anchor_unix + (self._elapsed_at_open[index] + offset) / self.speed

    def now(self) -> datetime:
        return self.at_session_seconds((time.time() - self.anchor_unix) * self.speed)


class FrozenClock:
    """A clock that only moves when told to: for tests and deterministic replays."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self.at = at

    def now(self) -> datetime:
        return self.at

    def advance(self, delta: timedelta) -> None:
        self.at += delta


_clock: Clock | None = None


def _clock_from_settings() -> Clock:
    speed = float(settings.TRADINGOPS_CLOCK_SPEED)
    if settings.TRADINGOPS_CLOCK_SESSION_START:
        return SessionClock(
            anchor_unix=float(settings.TRADINGOPS_CLOCK_ANCHOR) or time.time(),
            speed=speed,
            calendar=settings.TRADINGOPS_CLOCK_CALENDAR,
            start=settings.TRADINGOPS_CLOCK_SESSION_START,
        )
    if speed == 1.0:
        return SystemClock()
    anchor = float(settings.TRADINGOPS_CLOCK_ANCHOR) or time.time()
    return ScaledClock(anchor_unix=anchor, speed=speed)


def get_clock() -> Clock:
    global _clock
    if _clock is None:
        _clock = _clock_from_settings()
    return _clock


def set_clock(clock: Clock | None) -> None:
    """Install a clock for this process (``None`` goes back to the configured one)."""
    global _clock
    _clock = clock


def now() -> datetime:
    return get_clock().now()


def start_of_day(moment: datetime, timezone_name: str) -> datetime:
    """Midnight of ``moment``'s calendar day in ``timezone_name``, as an aware datetime."""
    local = moment.astimezone(ZoneInfo(timezone_name))
    return local.replace(hour=0, minute=0, second=0, microsecond=0)
