"""The one clock every service reads time from.

Nothing calls ``datetime.now()`` on its own: replay, soak runs and the sped-up demo swap the
clock here and every service follows.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


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
    from django.conf import settings

    speed = float(settings.TRADINGOPS_CLOCK_SPEED)
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
    from zoneinfo import ZoneInfo

    local = moment.astimezone(ZoneInfo(timezone_name))
    return local.replace(hour=0, minute=0, second=0, microsecond=0)
