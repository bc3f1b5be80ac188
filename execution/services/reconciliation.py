"""Reconciliation: our open orders, positions and cash against the broker's.

A run first catches up on updates the way the poll does, so only real differences remain;
orders the broker closed without us hearing are brought to its state ("healed"). What still
differs becomes a ``ReconciliationBreak``, unique per discrepancy while open, so a repeated
run adds nothing. With ``RECONCILIATION_POLICY=halt`` the affected strategy (the whole desk
when no strategy is identifiable) is halted through the risk guard.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

import structlog
from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from common import clock
from common.exceptions import PermissionRefused, ValidationFailed
from execution import metrics, order_states
from execution.brokers.contract import Broker, BrokerError, BrokerOrder
from execution.choices import BreakKind, BreakStatus, UpdateSource
from execution.models import Order, ReconciliationBreak, ReconciliationRun, Strategy
from execution.selectors import account_cash, orders_working, position_quantities_by_symbol
from execution.services.broker import get_broker
from execution.services.orders import order_update_apply, order_updates_poll, remote_order_update
from risk.choices import Scope
from risk.services import trading_state_halt

logger = structlog.get_logger(__name__)
PERM_RESOLVE = "execution.resolve_reconciliationbreak"


@dataclass(frozen=True)
class BreakDraft:
    kind: str
    fingerprint: str
    detail: str
    symbol: str = ""
    order: Order | None = None
    strategy_id: int | None = None  # when no order names the strategy (a position's)
    client_order_id: str = ""
    broker_order_id: str = ""
    expected: Decimal | None = None
    actual: Decimal | None = None


def _order_break(kind: str, order: Order, remote: BrokerOrder | None, detail: str) -> BreakDraft:
    return BreakDraft(
        kind=kind,
        fingerprint=f"{kind}:{order.client_order_id}",
        detail=detail,
        symbol=order.instrument.symbol,
        order=order,
        client_order_id=order.client_order_id,
        broker_order_id=order.broker_order_id or (remote.broker_order_id if remote else ""),
        expected=order.filled_quantity,
        actual=remote.filled_quantity if remote else None,
    )


def _broker_open_orders(broker: Broker, run: ReconciliationRun) -> list[BreakDraft]:
    """Open at the broker: unknown here (orphan), or final here (status mismatch)."""
    drafts = []
    for remote in broker.open_orders():
        run.orders_checked += 1
        order = (
            Order.objects.select_related("instrument")
            .filter(client_order_id=remote.client_order_id)
            .first()
        )
        if order is None:
            drafts.append(
                BreakDraft(
                    kind=BreakKind.ORPHAN_ORDER,
                    fingerprint=f"orphan_order:{remote.broker_order_id}",
                    detail=f"open at the broker ({remote.status}), unknown here",
                    symbol=remote.symbol,
                    client_order_id=remote.client_order_id,
                    broker_order_id=remote.broker_order_id,
                    actual=remote.quantity,
                )
            )
        elif order_states.is_final(order.status):
            detail = f"{order.status} here, {remote.status} at the broker"
            drafts.append(_order_break(BreakKind.ORDER_STATUS, order, remote, detail))
    return drafts


def _working_orders(broker: Broker, run: ReconciliationRun) -> list[BreakDraft]:
    """Working here: unknown at the broker (ghost); closed there (healed by applying the
    broker's state); or still differing after that (status or filled quantity)."""
    drafts = []
    for order in orders_working(broker=broker.name):
        run.orders_checked += 1
        remote = broker.order_by_client_id(order.client_order_id)
        if remote is None:
            detail = f"{order.status} here, unknown at the broker"
            drafts.append(_order_break(BreakKind.GHOST_ORDER, order, None, detail))
            continue
        if order_update_apply(
            update=remote_order_update(remote, source=UpdateSource.RECONCILIATION)
        ):
            run.orders_healed += 1
            order.refresh_from_db()
        if remote.status in order_states.STATUSES and remote.status != order.status:
            detail = f"{order.status} here, {remote.status} at the broker"
            drafts.append(_order_break(BreakKind.ORDER_STATUS, order, remote, detail))
        elif remote.filled_quantity != order.filled_quantity:
            detail = f"filled {order.filled_quantity} here, {remote.filled_quantity} at the broker"
            drafts.append(_order_break(BreakKind.ORDER_QUANTITY, order, remote, detail))
    return drafts


def _positions(broker: Broker, run: ReconciliationRun) -> list[BreakDraft]:
    ours = position_quantities_by_symbol()
    theirs = {position.symbol: position.quantity for position in broker.positions()}
    drafts = []
    for symbol in sorted(set(ours) | set(theirs)):
        run.positions_checked += 1
        expected, actual = ours.get(symbol, Decimal(0)), theirs.get(symbol, Decimal(0))
        if expected != actual:
            drafts.append(
                BreakDraft(
                    kind=BreakKind.POSITION_QUANTITY,
                    fingerprint=f"position_quantity:{symbol}",
                    detail=f"{expected} here, {actual} at the broker",
                    symbol=symbol,
                    expected=expected,
                    actual=actual,
                )
            )
    return drafts


def _cash(broker: Broker) -> list[BreakDraft]:
    expected, actual = account_cash(), broker.account().cash
    if abs(expected - actual) <= settings.RECONCILIATION_CASH_TOLERANCE:
        return []
    detail = f"{expected} here, {actual} at the broker"
    return [
        BreakDraft(BreakKind.CASH, "cash", detail, expected=expected, actual=actual),
    ]


def break_record(run: ReconciliationRun, draft: BreakDraft) -> ReconciliationBreak | None:
    """Store a break unless the same discrepancy is already open (then None)."""
    if ReconciliationBreak.objects.filter(
        fingerprint=draft.fingerprint, status=BreakStatus.OPEN
    ).exists():
        return None
    order = draft.order
    try:
        # A concurrent run may record the same break: the partial unique index lets one win.
        with transaction.atomic():
            record = ReconciliationBreak.objects.create(
                run=run,
                kind=draft.kind,
                fingerprint=draft.fingerprint[:255],
                symbol=draft.symbol,
                strategy_id=order.strategy_id if order else draft.strategy_id,
                order=order,
                client_order_id=draft.client_order_id,
                broker_order_id=draft.broker_order_id,
                expected=draft.expected,
                actual=draft.actual,
                detail=draft.detail,
                detected_at=clock.now(),
                request_id=run.request_id,
            )
    except IntegrityError:
        return None
    metrics.RECONCILIATION_BREAKS.labels(draft.kind).inc()
    logger.error(
        "reconciliation_break", kind=draft.kind, fingerprint=draft.fingerprint,
        expected=str(draft.expected), actual=str(draft.actual), request_id=run.request_id,
    )  # fmt: skip
    return record


def _affected_strategies(record: ReconciliationBreak) -> list[str]:
    if record.strategy is not None:
        return [record.strategy.name]
    if record.symbol:
        return list(
            Strategy.objects.filter(positions__instrument__symbol=record.symbol)
            .values_list("name", flat=True)
            .distinct()
        )
    return []


def break_policy_apply(record: ReconciliationBreak, *, actor_name: str = "reconciliation") -> None:
    """Halt the strategies a break touches; with none identifiable, the whole desk."""
    reason = f"reconciliation break {record.get_kind_display()}: {record.detail}"
    scopes = [(Scope.STRATEGY, name) for name in _affected_strategies(record)]
    for scope, key in scopes or [(Scope.GLOBAL, "")]:
        trading_state_halt(
            scope=scope, key=key, reason=reason, actor_name=actor_name,
            request_id=record.request_id,
        )  # fmt: skip


def reconciliation_run(*, broker: Broker | None = None, request_id: str = "") -> ReconciliationRun:
    """Compare open orders, positions and cash with the broker; store what differs.

    Safe to run at any time and as often as wanted: healing goes through the idempotent
    update writer and an open break is never stored twice.
    """
    broker = broker or get_broker()
    run = ReconciliationRun.objects.create(
        broker=broker.name, started_at=clock.now(), request_id=request_id or uuid.uuid4().hex
    )
    try:
        caught_up = order_updates_poll(broker=broker, source=UpdateSource.RECONCILIATION)
        run.orders_healed = caught_up.updates
        drafts = _broker_open_orders(broker, run) + _working_orders(broker, run)
        drafts += _positions(broker, run) + _cash(broker)
    except BrokerError as exc:
        run.succeeded, run.error, run.finished_at = False, str(exc), clock.now()
        run.save()
        metrics.RECONCILIATION_RUNS.labels("failed").inc()
        logger.error("reconciliation_failed", error=str(exc), request_id=run.request_id)
        return run
    new = [record for draft in drafts if (record := break_record(run, draft))]
    run.breaks_found, run.succeeded, run.finished_at = len(drafts), True, clock.now()
    run.save()
    metrics.RECONCILIATION_RUNS.labels("breaks" if drafts else "clean").inc()
    if settings.RECONCILIATION_POLICY == "halt":
        for record in new:
            break_policy_apply(record)
    return run


def reconciliation_break_resolve(
    *, break_id: int, actor: User, reason: str, request_id: str = ""
) -> ReconciliationBreak:
    """An operator closes a break, saying why; recorded with who, when and the request ID."""
    if not actor.has_perm(PERM_RESOLVE):
        raise PermissionRefused(f"You need the {PERM_RESOLVE} permission.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("A reason is required to resolve a reconciliation break")
    with transaction.atomic():
        record = ReconciliationBreak.objects.select_for_update().get(pk=break_id)
        if record.status != BreakStatus.OPEN:
            raise ValidationFailed(f"Break {break_id} is already resolved")
        record.status = BreakStatus.RESOLVED
        record.resolved_by, record.resolved_by_name = actor, actor.get_username()
        record.resolved_at, record.resolution_reason = clock.now(), reason
        record.resolution_request_id = request_id
        record.save(update_fields=sorted(ReconciliationBreak.RESOLUTION_FIELDS))
    logger.info(
        "reconciliation_break_resolved", break_id=break_id, actor=actor.get_username(),
        reason=reason, request_id=request_id,
    )  # fmt: skip
    return record
