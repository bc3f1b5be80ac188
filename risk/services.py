"""Risk writes: decisions on order intents, and the kill switch."""

from __future__ import annotations

import structlog
from django.contrib.auth.models import AbstractBaseUser
from django.db import DatabaseError, transaction

from common import clock
from common.exceptions import ValidationFailed
from risk import guard, metrics
from risk.choices import KillSwitchAction
from risk.models import KillSwitch, KillSwitchEvent, RiskDecision
from risk.selectors import guard_state_get

logger = structlog.get_logger(__name__)


def order_intent_evaluate(
    *, intent: guard.OrderIntent, portfolio: guard.PortfolioSnapshot, request_id: str = ""
) -> RiskDecision:
    """Decide on an order intent and store the decision with every reason.

    Fails closed: if the guard's state cannot be read, the intent is rejected with that
    reason rather than waved through.
    """
    try:
        decision = guard.evaluate(intent, guard_state_get(symbol=intent.symbol), portfolio)
    except (DatabaseError, ArithmeticError) as exc:
        logger.exception("risk_state_unavailable", client_order_id=intent.client_order_id)
        decision = guard.fail_closed(f"risk state could not be read: {exc}")
    record = RiskDecision.objects.create(
        client_order_id=intent.client_order_id,
        strategy=intent.strategy,
        symbol=intent.symbol,
        side=intent.side,
        quantity=intent.quantity,
        reference_price=intent.reference_price,
        notional=intent.notional,
        approved=decision.approved,
        reasons=[{"code": r.code, "message": r.message} for r in decision.reasons],
        utilisation=decision.utilisation,
        request_id=request_id,
        decided_at=clock.now(),
    )
    metrics.DECISIONS.labels("approved" if decision.approved else "rejected").inc()
    for reason in decision.reasons:
        metrics.REJECTION_REASONS.labels(reason.code).inc()
    if not decision.approved:
        logger.warning(
            "order_rejected_by_risk", client_order_id=intent.client_order_id, reasons=record.reasons
        )
    return record


def _kill_switch_set(
    *, engaged: bool, actor: AbstractBaseUser | None, reason: str, request_id: str
) -> KillSwitch:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("A reason is required to engage or release the kill switch")
    now = clock.now()
    switch, _ = KillSwitch.objects.select_for_update().get_or_create(pk=KillSwitch.SINGLETON_ID)
    switch.engaged = engaged
    switch.kill_switch_engaged_at = now if engaged else None
    switch.changed_by = actor
    switch.reason = reason
    switch.save()
    action = KillSwitchAction.ENGAGE if engaged else KillSwitchAction.RELEASE
    KillSwitchEvent.objects.create(
        action=action,
        actor=actor,
        actor_name=actor.get_username() if actor else "system",
        reason=reason,
        request_id=request_id,
        created_at=now,
    )
    metrics.KILL_SWITCH_CHANGES.labels(action).inc()
    logger.warning(
        "kill_switch_changed",
        action=action,
        actor=str(actor or "system"),
        reason=reason,
        request_id=request_id,
    )
    return switch


@transaction.atomic
def kill_switch_engage(
    *, actor: AbstractBaseUser | None, reason: str, request_id: str = ""
) -> KillSwitch:
    """Halt all new orders everywhere. The event row commits with the change or not at all."""
    return _kill_switch_set(engaged=True, actor=actor, reason=reason, request_id=request_id)


@transaction.atomic
def kill_switch_release(
    *, actor: AbstractBaseUser | None, reason: str, request_id: str = ""
) -> KillSwitch:
    """Allow new orders again (four-eyes release arrives with the risk guard issue)."""
    return _kill_switch_set(engaged=False, actor=actor, reason=reason, request_id=request_id)
