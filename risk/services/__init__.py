"""Risk writes: decisions on order intents, the kill switch, trading states, limits, four-eyes
change requests, temporary overrides and automatic trips.

Permissions are checked here, not in the interfaces, so admin and the API refuse exactly the
same things. Every action writes a ``RiskAction`` row (actor, reason, request ID, before and
after) in the same transaction as the change. Saving any risk state row bumps the state
version (signals wired in ``RiskConfig.ready``), so every process picks the change up at its
next check, whether it came from here, admin or a shell.

This module holds the pre-trade decision; the rest lives in ``kill_switch``, ``limits``,
``states``, ``approvals`` (four-eyes) and ``trips`` and is re-exported here.
"""

from __future__ import annotations

import math
from datetime import datetime

import structlog
from django.db import transaction

from common import clock
from risk import guard, metrics
from risk.models import RiskDecision
from risk.selectors import activity_get, guard_state_get
from risk.services.approvals import change_request_approve, change_request_reject
from risk.services.common import ChangeOutcome
from risk.services.kill_switch import kill_switch_engage, kill_switch_release_request
from risk.services.limits import is_loosening, limit_change_request, limit_overrides_expire
from risk.services.states import trading_state_halt, trading_state_set
from risk.services.trips import (
    equity_peak_observe,
    portfolio_observe,
    portfolio_with_peak,
    strategy_trades_observe,
    trips_check_safely,
)

logger = structlog.get_logger(__name__)

__all__ = [
    "ChangeOutcome",
    "change_request_approve",
    "change_request_reject",
    "equity_peak_observe",
    "is_loosening",
    "kill_switch_engage",
    "kill_switch_release_request",
    "limit_change_request",
    "limit_overrides_expire",
    "order_intent_evaluate",
    "portfolio_observe",
    "strategy_trades_observe",
    "trading_state_halt",
    "trading_state_set",
]


def _decide(
    intent: guard.OrderIntent,
    portfolio: guard.PortfolioSnapshot,
    market: guard.MarketSnapshot | None,
    now: datetime,
) -> guard.Decision:
    state = guard_state_get(symbol=intent.symbol, strategy=intent.strategy, now=now)
    window = state.limits.duplicate_window_s if state.limits else None
    activity = activity_get(intent=intent, now=now, duplicate_window_s=window)
    return guard.evaluate(intent, state, portfolio, market, activity)


def _reasons_json(reasons: tuple[guard.Reason, ...]) -> list[dict[str, str]]:
    return [{"code": r.code, "message": r.message} for r in reasons]


def order_intent_evaluate(
    *,
    intent: guard.OrderIntent,
    portfolio: guard.PortfolioSnapshot,
    market: guard.MarketSnapshot | None = None,
    request_id: str = "",
) -> RiskDecision:
    """Decide on an order intent and store the decision with every reason.

    Fails closed: if the state store, the limits or any other input cannot be read, or a
    check raises, the intent is rejected with that reason rather than waved through. After
    the decision, book-level trips (daily loss, drawdown) are checked on the same snapshot.
    """
    now = clock.now()
    try:
        # A savepoint: a database error while reading rolls back to here, so the rejection
        # can still be stored in the caller's transaction.
        with transaction.atomic():
            portfolio = portfolio_with_peak(portfolio, now)
            decision = _decide(intent, portfolio, market, now)
    except Exception as exc:  # fail closed on anything, not only database errors
        logger.exception("risk_state_unavailable", client_order_id=intent.client_order_id)
        decision = guard.fail_closed(f"risk state could not be read: {exc}")
    record = _decision_store(intent, decision, request_id, now)
    if not decision.reasons or decision.reasons[0].code != guard.STATE_UNAVAILABLE:
        trips_check_safely(portfolio, now)
    return record


def _decision_store(
    intent: guard.OrderIntent, decision: guard.Decision, request_id: str, now: datetime
) -> RiskDecision:
    record = RiskDecision.objects.create(
        client_order_id=intent.client_order_id,
        strategy=intent.strategy,
        symbol=intent.symbol,
        side=intent.side,
        quantity=intent.quantity,
        reference_price=intent.reference_price,
        notional=intent.notional,
        approved=decision.approved,
        reasons=_reasons_json(decision.reasons),
        warnings=_reasons_json(decision.warnings),
        # JSON has no NaN or infinity (a zero limit): those utilisations are left out.
        utilisation={k: v for k, v in decision.utilisation.items() if math.isfinite(v)},
        request_id=request_id,
        decided_at=now,
    )
    metrics.DECISIONS.labels("approved" if decision.approved else "rejected").inc()
    for reason in decision.reasons:
        metrics.REJECTION_REASONS.labels(reason.code).inc()
    for warning in decision.warnings:
        metrics.WARNINGS.labels(warning.code).inc()
        logger.warning("risk_warning", code=warning.code, message=warning.message)
    if not decision.approved:
        logger.warning(
            "order_rejected_by_risk", client_order_id=intent.client_order_id, reasons=record.reasons
        )
    return record
