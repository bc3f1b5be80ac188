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
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
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

    def in_force(self, now: datetime) -> TradingState:
        if self.cooldown_until is not None and now < self.cooldown_until:
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


# --- Resolving state and limits for one strategy and instrument -----------------------------


def _scope_order(row: LimitRow | TemporaryOverride) -> int:
    return {"global": 0, "strategy": 1, "instrument": 2}[row.scope]


def _most_restrictive(values: list[Decimal]) -> Decimal | None:
    return min(values) if values else None


def limits_resolve(
    rows: Iterable[LimitRow] | Mapping[tuple[str, str], LimitRow],
    overrides: Iterable[TemporaryOverride],
    *,
    strategy: str,
    symbol: str,
    now: datetime,
) -> Limits | None:
    """The limits in force: the global row, overridden by the strategy's and the instrument's.

    A field set on both the strategy and the instrument takes the lower (stricter) value. A
    temporary override in force replaces the permanent value at its scope; an expired one is
    ignored, so overrides revert by themselves without a write.
    """
    index = rows if isinstance(rows, Mapping) else {(r.scope, r.key): r for r in rows}
    wanted = (("global", ""), ("strategy", strategy), ("instrument", symbol))
    applicable = [index[k] for k in wanted if k in index]
    if not any(r.scope == "global" for r in applicable):
        return None
    by_scope: dict[str, dict[str, Decimal | None]] = {r.scope: dict(r.values) for r in applicable}
    for o in sorted(overrides, key=_scope_order):
        if o.expires_at > now and (o.scope, o.key) in (
            ("global", ""),
            ("strategy", strategy),
            ("instrument", symbol),
        ):
            by_scope.setdefault(o.scope, {})[o.field] = o.value
    resolved: dict[str, object] = {}
    for name in LIMIT_FIELDS:
        specific = [
            v
            for scope in ("strategy", "instrument")
            if (v := by_scope.get(scope, {}).get(name)) is not None
        ]
        resolved[name] = _most_restrictive(specific) if specific else by_scope["global"].get(name)
    halts = [r.drawdown_halts for r in applicable if r.drawdown_halts is not None]
    resolved["drawdown_halts"] = any(halts)
    return Limits(**resolved)  # type: ignore[arg-type]


def guard_state_resolve(
    risk: RiskState, *, strategy: str, symbol: str, now: datetime
) -> GuardState:
    """The most restrictive of the global, strategy and instrument states, and the limits."""
    scoped = [
        (risk.global_state, "global"),
        (risk.strategy_states.get(strategy), f"strategy {strategy}"),
        (risk.instrument_states.get(symbol), f"instrument {symbol}"),
    ]
    state, reason = TradingState.ACTIVE, ""
    for s, where in scoped:
        if s is not None and s.in_force(now) > state:
            state, reason = s.in_force(now), f"{where}: {s.reason}".rstrip(": ")
    if risk.kill_switch_engaged:
        state = TradingState.HALTED
    return GuardState(
        kill_switch_engaged=risk.kill_switch_engaged,
        limits=limits_resolve(
            risk.limit_index, risk.overrides, strategy=strategy, symbol=symbol, now=now
        ),
        trading_state=state,
        state_reason=reason,
        restricted=symbol in risk.restricted_symbols,
    )


# --- The checks ----------------------------------------------------------------------------


def reduces_position(intent: OrderIntent, position_quantity: Decimal) -> bool:
    """True when the order only shrinks the position (never flips or grows it)."""
    if intent.side == "sell":
        return ZERO < intent.quantity <= position_quantity
    return ZERO < intent.quantity <= -position_quantity


@dataclass(slots=True)
class _Context:
    intent: OrderIntent
    state: GuardState
    limits: Limits
    portfolio: PortfolioSnapshot
    market: MarketSnapshot | None
    activity: ActivitySnapshot
    utilisation: dict[str, float]
    warnings: list[Reason]

    @property
    def reducing(self) -> bool:
        return reduces_position(self.intent, self.portfolio.position_quantity)

    def use(self, code: str, value: Decimal, limit: Decimal) -> bool:
        """Record utilisation; True when ``value`` is beyond ``limit``."""
        self.utilisation[code] = float(value / limit) if limit else float("inf")
        return value > limit


Check = Callable[[_Context], list[Reason]]


def _unavailable(what: str, check: str) -> list[Reason]:
    return [Reason(INPUT_UNAVAILABLE, f"{what} could not be read, needed by {check}")]


def _check_trading_state(c: _Context) -> list[Reason]:
    if c.state.kill_switch_engaged:
        return [Reason(KILL_SWITCH_ENGAGED, "the kill switch is engaged")]
    if c.state.trading_state == TradingState.HALTED:
        return [Reason(TRADING_HALTED, f"trading is halted ({c.state.state_reason})")]
    if c.state.trading_state == TradingState.REDUCING and not c.reducing:
        return [
            Reason(
                TRADING_REDUCING,
                f"only position-reducing orders pass while reducing ({c.state.state_reason})",
            )
        ]
    return []


def _check_order_size(c: _Context) -> list[Reason]:
    reasons, lim, intent = [], c.limits, c.intent
    if lim.max_order_notional is not None and c.use(
        MAX_ORDER_NOTIONAL, intent.notional, lim.max_order_notional
    ):
        reasons.append(
            Reason(
                MAX_ORDER_NOTIONAL,
                f"order notional {intent.notional:.2f} exceeds {lim.max_order_notional:.2f}",
            )
        )
    if lim.max_order_quantity is not None and c.use(
        MAX_ORDER_QUANTITY, intent.quantity, lim.max_order_quantity
    ):
        reasons.append(
            Reason(
                MAX_ORDER_QUANTITY,
                f"order quantity {intent.quantity} exceeds {lim.max_order_quantity}",
            )
        )
    return reasons


def _check_position(c: _Context) -> list[Reason]:
    limit = c.limits.max_position_notional
    if limit is None:
        return []
    held = c.portfolio.instrument_position_quantity
    if held is None:
        held = c.portfolio.position_quantity
    moved = held + c.intent.signed_quantity
    after = abs(moved) * c.intent.reference_price
    # An order that only brings the position closer to flat (without flipping it) never
    # breaks the position limit, even when prices moved the position beyond it.
    shrinks = abs(moved) < abs(held) and moved * held >= 0
    if c.use(MAX_POSITION_NOTIONAL, after, limit) and not shrinks:
        return [
            Reason(
                MAX_POSITION_NOTIONAL,
                f"position notional after the order {after:.2f} exceeds {limit:.2f}",
            )
        ]
    return []


def _check_exposure(c: _Context) -> list[Reason]:
    reasons: list[Reason] = []
    lim, p, intent = c.limits, c.portfolio, c.intent
    if c.reducing:
        return reasons  # shrinking a position lowers both gross and net exposure
    if lim.max_gross_exposure is not None:
        if p.gross_exposure is None:
            return _unavailable("gross exposure", MAX_GROSS_EXPOSURE)
        gross = p.gross_exposure + intent.notional
        if c.use(MAX_GROSS_EXPOSURE, gross, lim.max_gross_exposure):
            reasons.append(
                Reason(
                    MAX_GROSS_EXPOSURE,
                    f"gross exposure after the order {gross:.2f} exceeds "
                    f"{lim.max_gross_exposure:.2f}",
                )
            )
    if lim.max_net_exposure is not None:
        if p.net_exposure is None:
            return [*reasons, *_unavailable("net exposure", MAX_NET_EXPOSURE)]
        net = abs(p.net_exposure + intent.signed_quantity * intent.reference_price)
        if c.use(MAX_NET_EXPOSURE, net, lim.max_net_exposure) and net > abs(p.net_exposure):
            reasons.append(
                Reason(
                    MAX_NET_EXPOSURE,
                    f"net exposure after the order {net:.2f} exceeds {lim.max_net_exposure:.2f}",
                )
            )
    return reasons


def daily_loss_warning(limits: Limits, daily_pnl: Decimal) -> Reason | None:
    """A warning (not a rejection) once the day's loss reaches the warning share of the limit."""
    if limits.max_daily_loss is None or limits.daily_loss_warning_pct is None:
        return None
    loss = max(-daily_pnl, ZERO)
    warn_at = limits.max_daily_loss * limits.daily_loss_warning_pct / Decimal(100)
    if loss >= warn_at:
        return Reason(
            MAX_DAILY_LOSS,
            f"daily loss {loss:.2f} reached the warning level {warn_at:.2f} "
            f"of the limit {limits.max_daily_loss:.2f}",
        )
    return None


def _check_daily_loss(c: _Context) -> list[Reason]:
    limit = c.limits.max_daily_loss
    if limit is None:
        return []
    loss = max(-c.portfolio.daily_pnl, ZERO)
    c.use(MAX_DAILY_LOSS, loss, limit)
    if (warning := daily_loss_warning(c.limits, c.portfolio.daily_pnl)) is not None:
        c.warnings.append(warning)
    # At the loss limit only risk-reducing orders may still go out.
    if loss >= limit and not c.reducing:
        return [Reason(MAX_DAILY_LOSS, f"daily loss {loss:.2f} reached the limit {limit:.2f}")]
    return []


def drawdown(portfolio: PortfolioSnapshot) -> Decimal | None:
    if portfolio.equity is None or portfolio.peak_equity is None:
        return None
    return max(portfolio.peak_equity - portfolio.equity, ZERO)


def _check_drawdown(c: _Context) -> list[Reason]:
    limit = c.limits.max_drawdown
    if limit is None:
        return []
    dd = drawdown(c.portfolio)
    if dd is None:
        return _unavailable("equity or peak equity", MAX_DRAWDOWN)
    c.use(MAX_DRAWDOWN, dd, limit)
    if dd >= limit and not c.reducing:
        return [Reason(MAX_DRAWDOWN, f"drawdown {dd:.2f} from peak reached the limit {limit:.2f}")]
    return []


def _check_price(c: _Context) -> list[Reason]:
    lim, m, intent = c.limits, c.market, c.intent
    needs_market = lim.price_collar_bps is not None or lim.max_price_age_s is not None
    if m is None:
        return _unavailable("the market snapshot", PRICE_COLLAR) if needs_market else []
    reasons = []
    if m.quarantined:
        reasons.append(Reason(PRICE_QUARANTINED, "the reference price is quarantined"))
    if m.stale:
        reasons.append(Reason(PRICE_STALE, "market data marks the reference price stale"))
    if lim.max_price_age_s is not None:
        if m.price_age_s is None:
            reasons.append(Reason(PRICE_STALE, "the age of the last trusted price is unknown"))
        elif c.use(PRICE_STALE, m.price_age_s, lim.max_price_age_s):
            reasons.append(
                Reason(
                    PRICE_STALE,
                    f"last trusted price is {m.price_age_s}s old, more than {lim.max_price_age_s}s",
                )
            )
    if lim.price_collar_bps is not None:
        reasons.extend(_collar(c, m, intent, lim.price_collar_bps))
    return reasons


def _collar(c: _Context, m: MarketSnapshot, intent: OrderIntent, band_bps: Decimal) -> list[Reason]:
    if m.last_trusted_price is None or m.last_trusted_price <= 0:
        return [Reason(PRICE_COLLAR, "no trusted last price to check the price collar against")]
    if intent.order_type == "limit" and intent.limit_price is not None:
        price = intent.limit_price
    else:
        slip = c.limits.expected_slippage_bps or ZERO
        sign = 1 if intent.side == "buy" else -1
        price = intent.reference_price * (BPS + sign * slip) / BPS
    deviation = abs(price - m.last_trusted_price) / m.last_trusted_price * BPS
    if c.use(PRICE_COLLAR, deviation, band_bps):
        return [
            Reason(
                PRICE_COLLAR,
                f"price {price:.4f} is {deviation:.1f} bps from the last trusted "
                f"{m.last_trusted_price:.4f}, band {band_bps} bps",
            )
        ]
    return []


def _check_rates(c: _Context) -> list[Reason]:
    reasons, lim, a = [], c.limits, c.activity
    pairs = [
        (RATE_LIMIT_STRATEGY, lim.max_orders_per_second, a.strategy_orders_last_second, "second"),
        (RATE_LIMIT_STRATEGY, lim.max_orders_per_minute, a.strategy_orders_last_minute, "minute"),
        (
            RATE_LIMIT_GLOBAL,
            lim.global_max_orders_per_second,
            a.global_orders_last_second,
            "second",
        ),
        (
            RATE_LIMIT_GLOBAL,
            lim.global_max_orders_per_minute,
            a.global_orders_last_minute,
            "minute",
        ),
    ]
    for code, limit, count, per in pairs:
        if limit is None:
            continue
        c.use(f"{code}_per_{per}", Decimal(count + 1), limit)
        if count + 1 > limit:
            who = "this strategy" if code == RATE_LIMIT_STRATEGY else "all strategies"
            reasons.append(
                Reason(code, f"{count} orders in the last {per} from {who}; limit {limit}")
            )
    return reasons


def _check_duplicate(c: _Context) -> list[Reason]:
    if c.limits.duplicate_window_s is not None and c.activity.duplicate_within_window:
        return [
            Reason(
                DUPLICATE_ORDER,
                f"same instrument, side and quantity from {c.intent.strategy} within "
                f"{c.limits.duplicate_window_s}s",
            )
        ]
    return []


def _check_buying_power(c: _Context) -> list[Reason]:
    reserve = c.limits.min_buying_power_reserve
    if reserve is None or c.intent.side != "buy" or c.reducing:
        return []
    if c.portfolio.buying_power is None:
        return _unavailable("buying power", BUYING_POWER)
    left = c.portfolio.buying_power - c.intent.notional
    if left < reserve:
        return [
            Reason(
                BUYING_POWER,
                f"order notional {c.intent.notional:.2f} leaves {left:.2f} of buying power, "
                f"below the reserve {reserve:.2f}",
            )
        ]
    return []


def _check_permissions(c: _Context) -> list[Reason]:
    reasons = []
    if c.state.restricted:
        reasons.append(Reason(RESTRICTED_INSTRUMENT, f"{c.intent.symbol} is restricted"))
    if c.portfolio.strategy_enabled is not True:
        reasons.append(Reason(STRATEGY_DISABLED, f"strategy {c.intent.strategy} is not enabled"))
    if not c.intent.manual and c.portfolio.model_is_champion is not True:
        reasons.append(
            Reason(MODEL_NOT_CHAMPION, "the order's model version is not the approved champion")
        )
    limit = c.limits.manual_confirm_notional
    manual, confirmed = c.intent.manual, c.intent.confirmed
    if manual and not confirmed and limit is not None and c.intent.notional > limit:
        reasons.append(
            Reason(
                MANUAL_CONFIRMATION_REQUIRED,
                f"manual order of {c.intent.notional:.2f} above {limit:.2f} needs "
                "an explicit confirmation",
            )
        )
    return reasons


CHECKS: tuple[tuple[str, Check], ...] = (
    ("trading_state", _check_trading_state),
    ("order_size", _check_order_size),
    ("position", _check_position),
    ("exposure", _check_exposure),
    ("daily_loss", _check_daily_loss),
    ("drawdown", _check_drawdown),
    ("price", _check_price),
    ("rates", _check_rates),
    ("duplicate", _check_duplicate),
    ("buying_power", _check_buying_power),
    ("permissions", _check_permissions),
)


def _check_order(intent: OrderIntent) -> list[Reason]:
    if intent.side not in ("buy", "sell"):
        return [Reason(INVALID_ORDER, f"side must be buy or sell, not {intent.side!r}")]
    if intent.quantity <= 0 or intent.reference_price <= 0:
        return [Reason(INVALID_ORDER, "quantity and reference price must be positive")]
    if intent.order_type == "limit" and (intent.limit_price is None or intent.limit_price <= 0):
        return [Reason(INVALID_ORDER, "a limit order needs a positive limit price")]
    return []


def evaluate(
    intent: OrderIntent,
    state: GuardState,
    portfolio: PortfolioSnapshot,
    market: MarketSnapshot | None = None,
    activity: ActivitySnapshot | None = None,
) -> Decision:
    """Run every check and approve only when none objects; a check that raises rejects."""
    reasons = _check_order(intent)
    utilisation: dict[str, float] = {}
    warnings: list[Reason] = []
    if state.limits is None:
        reasons.append(Reason(LIMITS_NOT_CONFIGURED, "no risk limits are configured"))
        if state.kill_switch_engaged:
            reasons.insert(0, Reason(KILL_SWITCH_ENGAGED, "the kill switch is engaged"))
        return Decision(False, tuple(reasons))
    if reasons:  # an invalid order: the arithmetic below would be meaningless
        return Decision(False, tuple(reasons))
    context = _Context(
        intent,
        state,
        state.limits,
        portfolio,
        market,
        activity or ActivitySnapshot(),
        utilisation,
        warnings,
    )
    for name, check in CHECKS:
        try:
            reasons.extend(check(context))
        except Exception as exc:  # fail closed: a broken check must not let an order out
            reasons.append(Reason(CHECK_FAILED, f"check {name} failed: {exc!r}"))
    return Decision(
        approved=not reasons,
        reasons=tuple(reasons),
        utilisation=utilisation,
        warnings=tuple(warnings),
    )


def fail_closed(message: str) -> Decision:
    """The decision when the guard's inputs cannot be read: reject, saying why."""
    return Decision(approved=False, reasons=(Reason(STATE_UNAVAILABLE, message),))


# --- Automatic trips -----------------------------------------------------------------------


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
