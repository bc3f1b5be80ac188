"""The pre-trade guard (pure: imports no app and no ORM).

Plain data in, a decision out, so the trading cycle, the order API and admin call the same
rules, and tests and benchmarks run them alone. Every check runs; a rejection lists every
reason, not only the first. Any check that raises turns into a rejection ("fail closed").

Inputs:
- ``OrderIntent``: what is asked (side, quantity, price, manual or not).
- ``GuardState``: what the desk allows right now, resolved for one strategy and instrument
  from the cached ``RiskState`` (trading states, limits, restricted list).
- ``PortfolioSnapshot`` and ``MarketSnapshot``: what execution and market data know.
- ``ActivitySnapshot``: recent approved orders, counted by the risk service from its own
  decision records (rate limits, duplicates).

Modules: ``model`` (data and reason codes), ``resolve`` (state and limits for one strategy
and instrument), ``checks`` (the checks and ``evaluate``), ``trip_detection`` (when the
automatic trips fire).
"""

from __future__ import annotations

from risk.guard.checks import (
    CHECKS,
    Check,
    daily_loss_warning,
    drawdown,
    evaluate,
    fail_closed,
    reduces_position,
)
from risk.guard.model import (
    BPS,
    BUYING_POWER,
    CHECK_FAILED,
    DUPLICATE_ORDER,
    INPUT_UNAVAILABLE,
    INVALID_ORDER,
    KILL_SWITCH_ENGAGED,
    LIMIT_FIELDS,
    LIMITS_NOT_CONFIGURED,
    MANUAL_CONFIRMATION_REQUIRED,
    MAX_DAILY_LOSS,
    MAX_DRAWDOWN,
    MAX_GROSS_EXPOSURE,
    MAX_NET_EXPOSURE,
    MAX_ORDER_NOTIONAL,
    MAX_ORDER_QUANTITY,
    MAX_POSITION_NOTIONAL,
    MODEL_NOT_CHAMPION,
    PRICE_COLLAR,
    PRICE_QUARANTINED,
    PRICE_STALE,
    RATE_LIMIT_GLOBAL,
    RATE_LIMIT_STRATEGY,
    RESTRICTED_INSTRUMENT,
    STATE_UNAVAILABLE,
    STRATEGY_DISABLED,
    TRADING_HALTED,
    TRADING_REDUCING,
    ZERO,
    ZERO_ALLOWED,
    ActivitySnapshot,
    Decision,
    GuardState,
    LimitRow,
    Limits,
    MarketSnapshot,
    OrderIntent,
    PortfolioSnapshot,
    Reason,
    RiskState,
    ScopedState,
    TemporaryOverride,
    TradingState,
)
from risk.guard.resolve import (
    guard_state_resolve,
    limits_resolve,
)
from risk.guard.trip_detection import (
    Trip,
    consecutive_losses,
    trips_detect,
)

__all__ = [
    "BPS",
    "BUYING_POWER",
    "CHECKS",
    "CHECK_FAILED",
    "DUPLICATE_ORDER",
    "INPUT_UNAVAILABLE",
    "INVALID_ORDER",
    "KILL_SWITCH_ENGAGED",
    "LIMITS_NOT_CONFIGURED",
    "LIMIT_FIELDS",
    "MANUAL_CONFIRMATION_REQUIRED",
    "MAX_DAILY_LOSS",
    "MAX_DRAWDOWN",
    "MAX_GROSS_EXPOSURE",
    "MAX_NET_EXPOSURE",
    "MAX_ORDER_NOTIONAL",
    "MAX_ORDER_QUANTITY",
    "MAX_POSITION_NOTIONAL",
    "MODEL_NOT_CHAMPION",
    "PRICE_COLLAR",
    "PRICE_QUARANTINED",
    "PRICE_STALE",
    "RATE_LIMIT_GLOBAL",
    "RATE_LIMIT_STRATEGY",
    "RESTRICTED_INSTRUMENT",
    "STATE_UNAVAILABLE",
    "STRATEGY_DISABLED",
    "TRADING_HALTED",
    "TRADING_REDUCING",
    "ZERO",
    "ZERO_ALLOWED",
    "ActivitySnapshot",
    "Check",
    "Decision",
    "GuardState",
    "LimitRow",
    "Limits",
    "MarketSnapshot",
    "OrderIntent",
    "PortfolioSnapshot",
    "Reason",
    "RiskState",
    "ScopedState",
    "TemporaryOverride",
    "TradingState",
    "Trip",
    "consecutive_losses",
    "daily_loss_warning",
    "drawdown",
    "evaluate",
    "fail_closed",
    "guard_state_resolve",
    "limits_resolve",
    "reduces_position",
    "trips_detect",
]
