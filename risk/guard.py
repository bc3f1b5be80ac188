"""The pre-trade guard (pure: imports no app and no ORM).

Plain data in, a decision out, so the trading cycle, the order API and admin call the same
rules, and tests and benchmarks run them alone. Every check runs; a rejection lists every
reason, not only the first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

KILL_SWITCH_ENGAGED = "kill_switch_engaged"
LIMITS_NOT_CONFIGURED = "limits_not_configured"
INVALID_ORDER = "invalid_order"
MAX_ORDER_NOTIONAL = "max_order_notional"
MAX_DAILY_LOSS = "max_daily_loss"
STATE_UNAVAILABLE = "state_unavailable"


@dataclass(frozen=True, slots=True)
class OrderIntent:
    client_order_id: str
    strategy: str
    symbol: str
    side: str  # "buy" or "sell"
    quantity: Decimal
    reference_price: Decimal

    @property
    def notional(self) -> Decimal:
        return self.quantity * self.reference_price


@dataclass(frozen=True, slots=True)
class Limits:
    """Limits in force for one instrument; None means no limit of that kind."""

    max_order_notional: Decimal | None
    max_daily_loss: Decimal | None


@dataclass(frozen=True, slots=True)
class GuardState:
    kill_switch_engaged: bool
    limits: Limits | None  # None: nothing configured, so the guard fails closed


@dataclass(frozen=True, slots=True)
class PortfolioSnapshot:
    position_quantity: Decimal  # signed: the strategy's position in the intent's instrument
    daily_pnl: Decimal  # realized + unrealized since the start of the trading day


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class Decision:
    approved: bool
    reasons: tuple[Reason, ...]
    utilisation: dict[str, float] = field(default_factory=dict)


def reduces_position(intent: OrderIntent, position_quantity: Decimal) -> bool:
    """True when the order only shrinks the position (never flips or grows it)."""
    if intent.side == "sell":
        return Decimal(0) < intent.quantity <= position_quantity
    return Decimal(0) < intent.quantity <= -position_quantity


def _check_order(intent: OrderIntent) -> list[Reason]:
    if intent.side not in ("buy", "sell"):
        return [Reason(INVALID_ORDER, f"side must be buy or sell, not {intent.side!r}")]
    if intent.quantity <= 0 or intent.reference_price <= 0:
        return [Reason(INVALID_ORDER, "quantity and reference price must be positive")]
    return []


def _check_limits(
    intent: OrderIntent, limits: Limits, portfolio: PortfolioSnapshot, utilisation: dict
) -> list[Reason]:
    reasons = []
    if limits.max_order_notional is not None:
        utilisation[MAX_ORDER_NOTIONAL] = float(intent.notional / limits.max_order_notional)
        if intent.notional > limits.max_order_notional:
            reasons.append(
                Reason(
                    MAX_ORDER_NOTIONAL,
                    f"order notional {intent.notional:.2f} exceeds {limits.max_order_notional:.2f}",
                )
            )
    if limits.max_daily_loss is not None:
        loss = max(-portfolio.daily_pnl, Decimal(0))
        utilisation[MAX_DAILY_LOSS] = float(loss / limits.max_daily_loss)
        # At the loss limit only risk-reducing orders may still go out.
        if loss >= limits.max_daily_loss and not reduces_position(
            intent, portfolio.position_quantity
        ):
            reasons.append(
                Reason(
                    MAX_DAILY_LOSS,
                    f"daily loss {loss:.2f} reached the limit {limits.max_daily_loss:.2f}",
                )
            )
    return reasons


def evaluate(intent: OrderIntent, state: GuardState, portfolio: PortfolioSnapshot) -> Decision:
    """Run every check and approve only when none objects."""
    reasons = _check_order(intent)
    utilisation: dict[str, float] = {}
    if state.kill_switch_engaged:
        reasons.append(Reason(KILL_SWITCH_ENGAGED, "the kill switch is engaged"))
    if state.limits is None:
        reasons.append(Reason(LIMITS_NOT_CONFIGURED, "no risk limits are configured"))
    elif not reasons or reasons[0].code != INVALID_ORDER:
        reasons.extend(_check_limits(intent, state.limits, portfolio, utilisation))
    return Decision(approved=not reasons, reasons=tuple(reasons), utilisation=utilisation)


def fail_closed(message: str) -> Decision:
    """The decision when the guard's inputs cannot be read: reject, saying why."""
    return Decision(approved=False, reasons=(Reason(STATE_UNAVAILABLE, message),))
