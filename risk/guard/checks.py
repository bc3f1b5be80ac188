"""The pre-trade checks and ``evaluate``: every check runs, a check that raises rejects."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from risk.guard.model import (
    BPS,
    BUYING_POWER,
    CHECK_FAILED,
    DUPLICATE_ORDER,
    INPUT_UNAVAILABLE,
    INVALID_ORDER,
    KILL_SWITCH_ENGAGED,
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
    ActivitySnapshot,
    Decision,
    GuardState,
    Limits,
    MarketSnapshot,
    OrderIntent,
    PortfolioSnapshot,
    Reason,
    TradingState,
)


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
