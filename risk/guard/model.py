"""The guard's data: reason codes, trading states, the intent, limits, snapshots, decisions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import Decimal
from enum import IntEnum

# --- Reason codes (stable: stored in decisions and counted in metrics) ---------------------
KILL_SWITCH_ENGAGED = "kill_switch_engaged"
TRADING_HALTED = "trading_halted"
TRADING_REDUCING = "trading_reducing"
LIMITS_NOT_CONFIGURED = "limits_not_configured"
INVALID_ORDER = "invalid_order"
MAX_ORDER_NOTIONAL = "max_order_notional"
MAX_ORDER_QUANTITY = "max_order_quantity"
MAX_POSITION_NOTIONAL = "max_position_notional"
MAX_GROSS_EXPOSURE = "max_gross_exposure"
MAX_NET_EXPOSURE = "max_net_exposure"
MAX_DAILY_LOSS = "max_daily_loss"
MAX_DRAWDOWN = "max_drawdown"
PRICE_COLLAR = "price_collar"
PRICE_STALE = "price_stale"
PRICE_QUARANTINED = "price_quarantined"
RATE_LIMIT_STRATEGY = "rate_limit_strategy"
RATE_LIMIT_GLOBAL = "rate_limit_global"
DUPLICATE_ORDER = "duplicate_order"
BUYING_POWER = "buying_power"
RESTRICTED_INSTRUMENT = "restricted_instrument"
STRATEGY_DISABLED = "strategy_disabled"
MODEL_NOT_CHAMPION = "model_not_champion"
MANUAL_CONFIRMATION_REQUIRED = "manual_confirmation_required"
INPUT_UNAVAILABLE = "input_unavailable"
STATE_UNAVAILABLE = "state_unavailable"
CHECK_FAILED = "check_failed"

BPS = Decimal(10000)
ZERO = Decimal(0)


class TradingState(IntEnum):
    """Ordered by restrictiveness, so the most restrictive of several scopes is ``max``."""

    ACTIVE = 0
    REDUCING = 1
    HALTED = 2


@dataclass(frozen=True, slots=True)
class OrderIntent:
    client_order_id: str
    strategy: str
    symbol: str
    side: str  # "buy" or "sell"
    quantity: Decimal
    reference_price: Decimal
    order_type: str = "market"  # "market" or "limit"
    limit_price: Decimal | None = None
    manual: bool = False  # entered by a person rather than a strategy's signal
    confirmed: bool = False  # the person ticked "I confirm this large manual order"

    @property
    def notional(self) -> Decimal:
        return self.quantity * self.reference_price

    @property
    def signed_quantity(self) -> Decimal:
        return self.quantity if self.side == "buy" else -self.quantity


@dataclass(frozen=True, slots=True)
class Limits:
    """Limits in force for one strategy and instrument; None means no limit of that kind."""

    max_order_notional: Decimal | None = None
    max_order_quantity: Decimal | None = None
    max_position_notional: Decimal | None = None
    max_gross_exposure: Decimal | None = None
    max_net_exposure: Decimal | None = None
    max_daily_loss: Decimal | None = None
    daily_loss_warning_pct: Decimal | None = None  # e.g. 80: alert at 80 % of the hard limit
    max_drawdown: Decimal | None = None
    price_collar_bps: Decimal | None = None
    expected_slippage_bps: Decimal | None = None  # added to a market order's reference price
    max_price_age_s: Decimal | None = None
    max_orders_per_second: Decimal | None = None  # per strategy
    max_orders_per_minute: Decimal | None = None  # per strategy
    global_max_orders_per_second: Decimal | None = None
    global_max_orders_per_minute: Decimal | None = None
    duplicate_window_s: Decimal | None = None
    manual_confirm_notional: Decimal | None = None
    min_buying_power_reserve: Decimal | None = None  # cash to keep after a buy
    # Auto-trip settings (read by ``trips_detect``, not by the per-order checks).
    drawdown_halts: bool = False  # drawdown beyond its limit: HALTED instead of REDUCING
    max_consecutive_losses: Decimal | None = None
    loss_cooldown_minutes: Decimal | None = None


LIMIT_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Limits) if f.name != "drawdown_halts")
# Limits whose value may be zero (a reserve of nothing, collars of zero bps are nonsense).
ZERO_ALLOWED = frozenset({"min_buying_power_reserve", "expected_slippage_bps"})


@dataclass(frozen=True, slots=True)
class LimitRow:
    """One configured row: the global default, or a strategy's or an instrument's override."""

    scope: str  # "global", "strategy" or "instrument"
    key: str  # strategy name or symbol; "" for global
    values: Mapping[str, Decimal | None]
    drawdown_halts: bool | None = None


@dataclass(frozen=True, slots=True)
class TemporaryOverride:
    scope: str
    key: str
    field: str
    value: Decimal | None
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class ScopedState:
    """A trading state at one scope; a cooldown halts it until ``cooldown_until``."""

    state: TradingState
    reason: str = ""
    cooldown_until: datetime | None = None

    def cooling_down(self, now: datetime) -> bool:
        return self.cooldown_until is not None and now < self.cooldown_until

    def in_force(self, now: datetime) -> TradingState:
        if self.cooling_down(now):
            return TradingState.HALTED
        return self.state


@dataclass(frozen=True, slots=True)
class RiskState:
    """Everything the guard reads from the risk store, loaded once per state version."""

    version: str
    kill_switch_engaged: bool
    global_state: ScopedState
    strategy_states: Mapping[str, ScopedState]
    instrument_states: Mapping[str, ScopedState]
    limit_rows: tuple[LimitRow, ...]
    overrides: tuple[TemporaryOverride, ...] = ()
    restricted_symbols: frozenset[str] = frozenset()
    # Rows by (scope, key), built once per load so a check looks up three rows instead of
    # scanning hundreds.
    limit_index: Mapping[tuple[str, str], LimitRow] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index = {(row.scope, row.key): row for row in self.limit_rows}
        object.__setattr__(self, "limit_index", index)


@dataclass(frozen=True, slots=True)
class GuardState:
    kill_switch_engaged: bool
    limits: Limits | None  # None: nothing configured, so the guard fails closed
    trading_state: TradingState = TradingState.ACTIVE
    state_reason: str = ""
    restricted: bool = False


@dataclass(frozen=True, slots=True)
class PortfolioSnapshot:
    """What execution knows about the book; None means "could not be read"."""

    position_quantity: Decimal  # signed: the strategy's position in the intent's instrument
    daily_pnl: Decimal  # realized + unrealized since the start of the trading day
    instrument_position_quantity: Decimal | None = None  # every strategy's, in the instrument
    gross_exposure: Decimal | None = None  # sum of |position| x mark, whole book
    net_exposure: Decimal | None = None  # sum of position x mark, whole book
    equity: Decimal | None = None
    peak_equity: Decimal | None = None  # the trading day's highest equity so far
    buying_power: Decimal | None = None
    strategy_enabled: bool | None = None
    model_is_champion: bool | None = None  # None for manual orders (no model involved)


@dataclass(frozen=True, slots=True)
class MarketSnapshot:
    last_trusted_price: Decimal | None
    price_age_s: Decimal | None  # seconds since the last trusted price
    stale: bool = False
    quarantined: bool = False


@dataclass(frozen=True, slots=True)
class ActivitySnapshot:
    strategy_orders_last_second: int = 0
    strategy_orders_last_minute: int = 0
    global_orders_last_second: int = 0
    global_orders_last_minute: int = 0
    duplicate_within_window: bool = False


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class Decision:
    approved: bool
    reasons: tuple[Reason, ...]
    utilisation: dict[str, float] = field(default_factory=dict)
    warnings: tuple[Reason, ...] = ()
