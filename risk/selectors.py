from __future__ import annotations

from decimal import Decimal

from django.db.models import QuerySet

from risk.guard import GuardState, Limits
from risk.models import KillSwitch, RiskDecision, RiskLimit


def kill_switch_get() -> KillSwitch:
    """The kill switch row; a missing row reads as engaged (fail closed)."""
    switch = KillSwitch.objects.filter(pk=KillSwitch.SINGLETON_ID).first()
    if switch is None:
        return KillSwitch(engaged=True, reason="kill switch row missing: failing closed")
    return switch


def limits_for(*, symbol: str) -> Limits | None:
    """Global limits overridden field by field by the instrument's own; None if no global."""
    rows = {row.symbol: row for row in RiskLimit.objects.filter(symbol__in=["", symbol])}
    base = rows.get("")
    if base is None:
        return None
    own = rows.get(symbol)
    return Limits(
        max_order_notional=_override(own, base, "max_order_notional"),
        max_daily_loss=_override(own, base, "max_daily_loss"),
    )


def _override(own: RiskLimit | None, base: RiskLimit, field: str) -> Decimal | None:
    value = getattr(own, field) if own is not None else None
    return value if value is not None else getattr(base, field)


def guard_state_get(*, symbol: str) -> GuardState:
    return GuardState(
        kill_switch_engaged=kill_switch_get().engaged, limits=limits_for(symbol=symbol)
    )


def risk_decision_list(*, approved: bool | None = None) -> QuerySet[RiskDecision]:
    decisions = RiskDecision.objects.all()
    return decisions if approved is None else decisions.filter(approved=approved)
