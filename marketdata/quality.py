"""Bar validation (pure): which incoming bars are fit to store, and why the others are not.

Each rule returns a reason code from a small fixed set (they label a metric), so a
rejection can be counted, logged and explained without storing the bad bar.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from marketdata.providers.base import RawBar

NON_FINITE_PRICE = "non_finite_price"
NON_POSITIVE_PRICE = "non_positive_price"
HIGH_BELOW_LOW = "high_below_low"
HIGH_BELOW_OPEN_CLOSE = "high_below_open_close"
LOW_ABOVE_OPEN_CLOSE = "low_above_open_close"
NEGATIVE_VOLUME = "negative_volume"
TIMESTAMP_OUT_OF_ORDER = "timestamp_out_of_order"
TIMESTAMP_IN_FUTURE = "timestamp_in_future"


@dataclass(frozen=True, slots=True)
class RejectedBar:
    bar: RawBar
    reasons: tuple[str, ...]


@dataclass(slots=True)
class ValidationResult:
    accepted: list[RawBar] = field(default_factory=list)
    rejected: list[RejectedBar] = field(default_factory=list)


def bar_defects(bar: RawBar) -> list[str]:
    """Everything wrong with one bar on its own (no context needed)."""
    prices = (bar.open, bar.high, bar.low, bar.close)
    if not all(price.is_finite() for price in prices) or not bar.volume.is_finite():
        return [NON_FINITE_PRICE]
    defects = []
    if any(price <= 0 for price in prices):
        defects.append(NON_POSITIVE_PRICE)
    if bar.high < bar.low:
        defects.append(HIGH_BELOW_LOW)
    if bar.high < max(bar.open, bar.close):
        defects.append(HIGH_BELOW_OPEN_CLOSE)
    if bar.low > min(bar.open, bar.close):
        defects.append(LOW_ABOVE_OPEN_CLOSE)
    if bar.volume < 0:
        defects.append(NEGATIVE_VOLUME)
    return defects


def validate_bars(
    bars: Iterable[RawBar], *, previous_timestamp: datetime | None, now: datetime
) -> ValidationResult:
    """Split ``bars`` (in arrival order) into accepted and rejected.

    A bar must be newer than the last accepted one (or ``previous_timestamp``, the newest
    stored bar before the window) and must not start in the future.
    """
    result = ValidationResult()
    last = previous_timestamp
    for bar in bars:
        reasons = bar_defects(bar)
        if last is not None and bar.timestamp <= last:
            reasons.append(TIMESTAMP_OUT_OF_ORDER)
        if bar.timestamp > now:
            reasons.append(TIMESTAMP_IN_FUTURE)
        if reasons:
            result.rejected.append(RejectedBar(bar=bar, reasons=tuple(reasons)))
        else:
            result.accepted.append(bar)
            last = bar.timestamp
    return result
