"""Book-level trips (daily loss, drawdown) and losing streaks."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from risk.guard.checks import drawdown
from risk.guard.model import (
    MAX_DAILY_LOSS,
    MAX_DRAWDOWN,
    ZERO,
    Limits,
    PortfolioSnapshot,
)


@dataclass(frozen=True, slots=True)
class Trip:
    """A limit breached by the book as a whole: what to do, and the values to record."""

    limit: str
    value: Decimal
    threshold: Decimal
    action: str  # "kill_switch", "reducing", "halted", "cooldown"
    scope: str = "global"
    key: str = ""


def trips_detect(limits: Limits, portfolio: PortfolioSnapshot) -> list[Trip]:
    """Book-level trips: the daily loss limit engages the kill switch, the drawdown limit
    moves the desk to REDUCING (or HALTED when so configured)."""
    trips = []
    loss = max(-portfolio.daily_pnl, ZERO)
    if limits.max_daily_loss is not None and loss >= limits.max_daily_loss:
        trips.append(Trip(MAX_DAILY_LOSS, loss, limits.max_daily_loss, "kill_switch"))
    dd = drawdown(portfolio)
    if limits.max_drawdown is not None and dd is not None and dd >= limits.max_drawdown:
        action = "halted" if limits.drawdown_halts else "reducing"
        trips.append(Trip(MAX_DRAWDOWN, dd, limits.max_drawdown, action))
    return trips


def consecutive_losses(trade_pnls: Iterable[Decimal]) -> int:
    """Losing closed trades in a row at the end of ``trade_pnls`` (oldest first)."""
    streak = 0
    for pnl in trade_pnls:
        streak = streak + 1 if pnl < 0 else 0
    return streak
