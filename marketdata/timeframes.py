"""Timeframe arithmetic (pure). Bars are stamped with the start of their interval, in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from common.exceptions import ValidationFailed

_DELTAS = {
    "1m": timedelta(minutes=1),
    "5m": timedelta(minutes=5),
    "15m": timedelta(minutes=15),
    "1h": timedelta(hours=1),
    "1d": timedelta(days=1),
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def timeframe_delta(timeframe: str) -> timedelta:
    try:
        return _DELTAS[timeframe]
    except KeyError:
        raise ValidationFailed(
            f"Unknown timeframe {timeframe!r}; expected one of {sorted(_DELTAS)}"
        ) from None


def floor_to_timeframe(moment: datetime, timeframe: str) -> datetime:
    """Start of the interval that contains ``moment``."""
    step = timeframe_delta(timeframe)
    return _EPOCH + ((moment - _EPOCH) // step) * step


def last_complete_bar_end(now: datetime, timeframe: str) -> datetime:
    """Exclusive upper bound of bar start times whose interval has fully elapsed at ``now``."""
    return floor_to_timeframe(now, timeframe)
