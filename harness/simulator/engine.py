"""Fill engine of the Alpaca simulator: which bars fill a working order, how much and at what.

Pure: no ORM, no I/O, no clock of its own. The simulator hands it the bars that have closed
since the order's cursor and the current time; it answers with executions and, when the
order is done, its final status. Rules:

1. Only bars that start at or after the order's cursor and have closed by ``now`` count
   (a market order fills at the open of the first bar after it was submitted).
2. A market order fills at the bar's open moved ``slippage_bps`` against the trader.
3. A limit order fills only when the bar crosses its limit, at the open when the open is
   already through the limit, never at a worse price than the limit.
4. Each bar fills at most ``participation_rate`` of its volume (whole shares): the rest of
   the order waits for later bars (partial fills).
5. IOC cancels whatever the first bar did not fill; DAY expires at the session end.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, Decimal

BPS = Decimal("0.0001")
CENT = Decimal("0.01")
SUB_DOLLAR_TICK = Decimal("0.0001")


@dataclass(frozen=True, slots=True)
class SimBar:
    start: datetime
    end: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal


@dataclass(frozen=True, slots=True)
class WorkingOrder:
    side: str  # "buy" | "sell"
    order_type: str  # "market" | "limit"
    time_in_force: str  # "day" | "gtc" | "ioc"
    remaining: Decimal
    cursor: datetime  # bars starting at or after this may fill the order
    limit_price: Decimal | None = None
    expires_at: datetime | None = None  # session end of a DAY order


@dataclass(frozen=True, slots=True)
class Execution:
    quantity: Decimal
    price: Decimal
    bar_start: datetime


@dataclass(frozen=True, slots=True)
class StepResult:
    executions: list[Execution] = field(default_factory=list)
    cursor: datetime | None = None  # where the next step starts (None: unchanged)
    final_status: str | None = None  # "filled" | "canceled" | "expired" when the order is done


def tick_size(price: Decimal) -> Decimal:
    """US equities quote in cents from $1, in hundredths of a cent below."""
    return CENT if price >= 1 else SUB_DOLLAR_TICK


def slipped_price(open_price: Decimal, side: str, slippage_bps: Decimal) -> Decimal:
    """The open moved against the trader: buyers pay up, sellers receive less, and the
    rounding to the tick goes against them too."""
    signed = slippage_bps if side == "buy" else -slippage_bps
    price = open_price * (1 + signed * BPS)
    rounding = ROUND_CEILING if side == "buy" else ROUND_FLOOR
    return price.quantize(tick_size(price), rounding=rounding)


def participation_cap(volume: Decimal, participation_rate: Decimal) -> Decimal | None:
    """Whole shares one bar may fill; None when the cap is off (rate 0)."""
    if participation_rate <= 0:
        return None
    return (volume * participation_rate).to_integral_value(rounding=ROUND_DOWN)


def limit_crossed(order: WorkingOrder, bar: SimBar) -> bool:
    limit = order.limit_price
    if limit is None:
        return True  # a market order crosses every bar
    return bar.low <= limit if order.side == "buy" else bar.high >= limit


def fill_price(order: WorkingOrder, bar: SimBar, slippage_bps: Decimal) -> Decimal:
    price = slipped_price(bar.open, order.side, slippage_bps)
    if order.order_type != "limit" or order.limit_price is None:
        return price
    # A limit is a promise: never worse than it, the slipped open when that is better.
    if order.side == "buy":
        return min(price, order.limit_price)
    return max(price, order.limit_price)


def fill_on_bar(
    order: WorkingOrder, bar: SimBar, *, slippage_bps: Decimal, participation_rate: Decimal
) -> Execution | None:
    """What one bar fills of the order, or None."""
    if order.order_type == "limit" and not limit_crossed(order, bar):
        return None
    cap = participation_cap(bar.volume, participation_rate)
    quantity = order.remaining if cap is None else min(order.remaining, cap)
    if quantity <= 0:
        return None
    return Execution(quantity, fill_price(order, bar, slippage_bps), bar.start)


def order_step(
    order: WorkingOrder,
    bars: Iterable[SimBar],
    *,
    now: datetime,
    slippage_bps: Decimal,
    participation_rate: Decimal,
) -> StepResult:
    """Advance a working order over the bars that closed since its cursor (oldest first)."""
    executions: list[Execution] = []
    remaining, cursor = order.remaining, None
    for bar in sorted(bars, key=lambda b: b.start):
        if bar.start < order.cursor or bar.end > now:
            continue
        if order.expires_at is not None and bar.start >= order.expires_at:
            return StepResult(executions, cursor, "expired")
        execution = fill_on_bar(
            replace(order, remaining=remaining),
            bar,
            slippage_bps=slippage_bps,
            participation_rate=participation_rate,
        )
        cursor = bar.end
        if execution is not None:
            executions.append(execution)
            remaining -= execution.quantity
        if remaining <= 0:
            return StepResult(executions, cursor, "filled")
        if order.time_in_force == "ioc":
            return StepResult(executions, cursor, "canceled")
    if order.expires_at is not None and now >= order.expires_at:
        return StepResult(executions, cursor, "expired")
    return StepResult(executions, cursor, None)
