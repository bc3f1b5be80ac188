"""Orders: submission, the single idempotent writer of broker updates, the poll, cancels.

How submission stays at-most-once at the broker and loses nothing, step by step:
1. The order row (``client_order_id`` derived from the cause, unique) and its risk decision
   commit first, in ``pending_new``, before any network call. A retry finds the row.
2. ``broker.submit`` sends it with that ``client_order_id``. The broker refuses a second order
   with the same id, and the adapter answers a timeout by looking the id up before retrying.
3. The acknowledgement goes through ``order_update_apply`` like every other update.
A crash between 1 and 3 leaves a ``pending_new`` row: a retried submit, or the poll, looks it
up by ``client_order_id`` and applies what the broker has, or sends it again under the same
id (at most once, by 2), or gives it up once too old to matter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import structlog
from django.conf import settings
from django.db import transaction

from common import clock
from execution import metrics, order_states
from execution.brokers.contract import (
    Broker,
    BrokerError,
    BrokerFill,
    BrokerOrder,
    BrokerRejected,
    OrderUpdate,
)
from execution.choices import OrderEventOutcome, OrderStatus, UpdateSource
from execution.models import Fill, Order, OrderEvent
from execution.selectors import (
    fills_watermark,
    order_request_for,
    orders_awaiting_ack,
    orders_open,
    orders_working,
)
from execution.services.books import fill_book, order_fill_totals
from execution.services.broker import get_broker

logger = structlog.get_logger(__name__)


def _json(raw: object) -> object:
    """A payload as JSON (Decimal and datetime as strings)."""
    if isinstance(raw, dict):
        return {str(key): _json(value) for key, value in raw.items()}
    if isinstance(raw, list | tuple):
        return [_json(value) for value in raw]
    if isinstance(raw, Decimal | datetime):
        return str(raw)
    return raw


def _update_payload(update: OrderUpdate) -> dict:
    order = update.order
    payload = {
        "event": update.event,
        "broker_status": order.status,
        "broker_order_id": order.broker_order_id,
        "filled_quantity": str(order.filled_quantity),
        "raw": _json(dict(update.raw)),
    }
    if update.fill is not None:
        fill = update.fill
        payload["fill"] = {
            "id": fill.broker_fill_id, "quantity": str(fill.quantity), "price": str(fill.price),
            "fee": str(fill.fee), "filled_at": fill.filled_at.isoformat(),
        }  # fmt: skip
    return payload


def _order_for_update(update: OrderUpdate) -> Order | None:
    orders = Order.objects.select_for_update()
    if update.order.client_order_id:
        order = orders.filter(client_order_id=update.order.client_order_id).first()
        if order is not None:
            return order
    if update.order.broker_order_id:
        return orders.filter(broker_order_id=update.order.broker_order_id).first()
    return None


def _fill_take(order: Order, fill: BrokerFill) -> str:
    """Book a fill once: "recorded", "duplicate" (execution id known) or "overfill"."""
    if Fill.objects.filter(broker_fill_id=fill.broker_fill_id).exists():
        return "duplicate"
    if order.filled_quantity + fill.quantity > order.quantity:
        return "overfill"
    fill_book(order=order, fill=fill)
    order_fill_totals(order, fill)
    return "recorded"


@dataclass
class _Applied:
    changed: bool = False
    status: str = ""
    anomaly: str = ""
    fill_recorded: bool = False
    outcome: str = ""
    broker: str = ""


def order_update_apply(*, update: OrderUpdate) -> bool:
    """Apply one broker update (stream, poll, reconciliation, submit, kill switch) once.

    The only code that writes an order's status and fills. Idempotent: the order row is
    locked, an event already stored under (order, event_id) is skipped, a fill already stored
    under its execution id is skipped, and an update older than the order's state never moves
    it back. Fill, position, lots, PnL, order totals and the event row commit together.
    An illegal step (a fill after a cancel, ...) is stored as an anomaly event, logged and
    counted, and leaves the status alone; a fill is booked anyway, since the money moved.
    Returns whether anything changed.
    """
    with transaction.atomic():
        applied = _apply_locked(update)
    if applied is None:
        return False
    metrics.ORDER_UPDATES.labels(update.source, applied.outcome).inc()
    if applied.fill_recorded:
        metrics.FILLS.labels(applied.broker).inc()
    if applied.changed and applied.status:
        metrics.ORDERS.labels(applied.status).inc()
    if applied.anomaly:
        metrics.ORDER_ANOMALIES.labels(applied.anomaly).inc()
        logger.error(
            "order_anomaly", kind=applied.anomaly, client_order_id=update.order.client_order_id,
            update_event=update.event, source=update.source, event_id=update.event_id,
        )  # fmt: skip
    return applied.changed


_FILLING = (OrderStatus.FILLED, OrderStatus.PARTIALLY_FILLED)


def _target_backed_by_fills(order: Order, target: str | None) -> str | None:
    """The status an update may set, given the fills booked: fill states follow fills only.

    A broker's order view can say "filled" before we hold the fill behind it: the poll reads
    the account's fills and then each order's state, and a bar (the paper broker) or an
    execution (Alpaca) landing between the two reads shows a filled order whose fill was not
    in the first read. Taking that status would close the order with no fill, and a final
    order is never polled again, so the fill would be lost for good. So ``filled`` needs the
    booked fills to cover the quantity and ``partially_filled`` needs some booked fill; until
    then the order is only known to be working, and the poll fetches its fills.
    """
    filled_up = order.filled_quantity >= order.quantity
    if filled_up and (target is None or target in _FILLING):
        return OrderStatus.FILLED
    if target not in _FILLING:
        return target
    return OrderStatus.PARTIALLY_FILLED if order.filled_quantity > 0 else OrderStatus.NEW


def _apply_locked(update: OrderUpdate) -> _Applied | None:
    """Apply one update to its order, under the order's row lock.

    1. find the order; an event already recorded for it is a replay and changes nothing;
    2. book the fill the update carries (deduped on its execution id);
    3. take the status the update reports only as far as the booked fills back it;
    4. save the order, and record the event with its outcome and any anomaly.
    """
    order = _order_locked_for(update)
    if order is None:
        return None
    before = order.status
    fill_recorded, anomaly = _fill_apply(order, update, before)
    step = _status_step(order, update, before)
    anomaly = anomaly or step.anomaly
    if step.outcome == "noop" and not fill_recorded and not anomaly:
        return None
    _order_status_save(order, update, before, step.status)
    outcome = (
        OrderEventOutcome.ANOMALY
        if anomaly
        else (OrderEventOutcome.STALE if step.outcome == "stale" else OrderEventOutcome.APPLIED)
    )
    _order_event_record(order, update, before, outcome, anomaly)
    return _Applied(
        changed=fill_recorded or order.status != before,
        fill_recorded=fill_recorded,
        status=order.status if order.status != before else "",
        anomaly=anomaly,
        outcome=str(outcome),
        broker=order.broker,
    )


def _order_locked_for(update: OrderUpdate) -> Order | None:
    """The update's order, locked; None for an unknown order or an event already applied."""
    order = _order_for_update(update)
    if order is None:
        # At the broker but not here: reconciliation reports it as an orphan order.
        metrics.ORDER_ANOMALIES.labels("unknown_order").inc()
        logger.warning(
            "order_update_for_unknown_order", client_order_id=update.order.client_order_id,
            broker_order_id=update.order.broker_order_id, source=update.source,
        )  # fmt: skip
        return None
    if OrderEvent.objects.filter(order=order, event_id=update.event_id).exists():
        return None  # a replayed event
    return order


def _fill_apply(order: Order, update: OrderUpdate, before: str) -> tuple[bool, str]:
    """Book the update's fill: (whether it was recorded, the anomaly it is, or "")."""
    if update.fill is None:
        return False, ""
    taken = _fill_take(order, update.fill)
    if taken == "overfill":
        return False, "overfill"
    recorded = taken == "recorded"
    if recorded and before in order_states.FINAL and before != "filled":
        return recorded, f"fill_after_{before}"
    return recorded, ""


def _status_step(order: Order, update: OrderUpdate, before: str) -> order_states.Transition:
    """The transition to the status the update reports, held back to what the fills back."""
    reported = order_states.target_status(update.event, update.order.status)
    target = _target_backed_by_fills(order, reported)
    if reported in _FILLING and target not in (reported, OrderStatus.FILLED):
        metrics.FILL_STATUS_HELD.labels(update.source).inc()
        logger.info(
            "order_fill_status_held", client_order_id=order.client_order_id,
            broker_status=update.order.status, broker_filled=str(update.order.filled_quantity),
            booked=str(order.filled_quantity), source=update.source,
        )  # fmt: skip
    if target is None:
        return order_states.Transition(before, "noop")
    return order_states.transition(before, target, event=update.event)


def _order_status_save(order: Order, update: OrderUpdate, before: str, status: str) -> None:
    """The new status, with what it brings: the broker's id, the acknowledgement time and
    the broker's reason for a rejection or a cancel."""
    order.status = status
    if not order.broker_order_id and update.order.broker_order_id:
        order.broker_order_id = update.order.broker_order_id
    if before == OrderStatus.PENDING_NEW and order.status != before:
        order.acknowledged_at = clock.now()
    if order.status == OrderStatus.REJECTED and not order.reject_reason:
        reason = update.raw.get("message") or update.raw.get("reason") or ""
        order.reject_reason = f"rejected by the broker ({update.source}): {reason}".strip(": ")
    cancelling = (OrderStatus.PENDING_CANCEL, OrderStatus.CANCELED)
    if order.status in cancelling and not order.reject_reason and update.raw.get("reason"):
        order.reject_reason = str(update.raw["reason"])
    order.save()


def _order_event_record(
    order: Order, update: OrderUpdate, before: str, outcome: str, anomaly: str
) -> None:
    OrderEvent.objects.create(
        order=order,
        event=update.event[:32],
        event_id=update.event_id[:200],
        source=update.source,
        from_status=before,
        to_status=order.status,
        outcome=outcome,
        anomaly=anomaly,
        at=update.at,
        recorded_at=clock.now(),
        payload=_update_payload(update),
    )


def local_order_update(
    order: Order, event: str, *, source: str, event_id: str, reason: str = ""
) -> OrderUpdate:
    """An update decided here, not reported by the broker (a refusal, a cancel request, an
    order given up), so that it goes through the same writer and leaves the same event."""
    remote = BrokerOrder(
        broker_order_id=order.broker_order_id,
        client_order_id=order.client_order_id,
        symbol=order.instrument.symbol,
        side=order.side,
        quantity=order.quantity,
        filled_quantity=order.filled_quantity,
        average_fill_price=order.average_fill_price,
        status=order_states.EVENT_STATUS.get(event, event),
    )
    return OrderUpdate(
        event=event,
        order=remote,
        at=clock.now(),
        source=source,
        event_id=event_id,
        raw={"reason": reason} if reason else {},
    )


def remote_order_update(remote: BrokerOrder, *, source: str) -> OrderUpdate:
    """A broker's view of an order as an update. The event id names the state seen, so the
    same view polled twice is one event, and a later state is a new one."""
    return OrderUpdate(
        event=remote.status,
        order=remote,
        at=remote.updated_at or clock.now(),
        source=source,
        event_id=f"{source}:{remote.broker_order_id}:{remote.status}:{remote.filled_quantity}",
        raw=remote.raw,
    )


def order_send(*, order: Order, broker: Broker, look_up_first: bool) -> None:
    """Send a ``pending_new`` order, or find it at the broker, and apply the answer.

    ``look_up_first`` when a previous attempt may have reached the broker (a retried
    submit): the order is then only looked up, and sent only if the broker does not know it.
    A refusal rejects the order; no answer leaves it ``pending_new`` for the poll.
    """
    try:
        remote = broker.order_by_client_id(order.client_order_id) if look_up_first else None
        if remote is None:
            remote = broker.submit(order_request_for(order))
    except BrokerRejected as exc:
        update = local_order_update(
            order, "rejected", source=UpdateSource.SUBMIT,
            event_id=f"submit:rejected:{order.client_order_id}", reason=exc.message,
        )  # fmt: skip
        order_update_apply(update=update)
        return
    except BrokerError as exc:
        metrics.SUBMIT_UNRESOLVED.inc()
        logger.warning(
            "order_send_unresolved", client_order_id=order.client_order_id, error=str(exc)
        )
        return
    order_update_apply(update=remote_order_update(remote, source=UpdateSource.SUBMIT))


def _pending_resolve(order: Order, broker: Broker, source: str) -> None:
    """Bring an order left in ``pending_new`` (a crash or a timeout after step 1) to the
    broker's truth: apply what the broker has; if it has nothing, send it again under the
    same ``client_order_id`` while recent, else give it up as never sent."""
    try:
        remote = broker.order_by_client_id(order.client_order_id)
    except BrokerError as exc:
        logger.warning("pending_order_lookup_failed", client_order_id=order.client_order_id,
                       error=str(exc))  # fmt: skip
        return
    if remote is not None:
        order_update_apply(update=remote_order_update(remote, source=source))
        return
    sent_at = order.submitted_at or order.created_at
    if clock.now() - sent_at < timedelta(seconds=settings.EXECUTION_SUBMIT_RETRY_SECONDS):
        metrics.SUBMIT_RETRIES.inc()
        order_send(order=order, broker=broker, look_up_first=False)
        return
    reason = f"never reached the broker within {settings.EXECUTION_SUBMIT_RETRY_SECONDS} s"
    order_update_apply(
        update=local_order_update(
            order,
            "rejected",
            source=source,
            event_id=f"given_up:{order.client_order_id}",
            reason=reason,
        )
    )


@dataclass
class PollReport:
    fills: int = 0
    updates: int = 0
    pending_checked: int = 0

    def as_dict(self) -> dict:
        return {"fills": self.fills, "updates": self.updates, "pending": self.pending_checked}


def _fill_update(fill: BrokerFill, *, source: str) -> OrderUpdate:
    remote = BrokerOrder(
        broker_order_id=fill.broker_order_id,
        client_order_id=fill.client_order_id,
        symbol=fill.symbol,
        side=fill.side,
        quantity=fill.quantity,
        filled_quantity=fill.quantity,
        average_fill_price=fill.price,
        status="partially_filled",
    )
    # The event id is the execution id, as on the stream: a fill seen by both is one event.
    return OrderUpdate(
        event="partial_fill", order=remote, at=fill.filled_at, source=source,
        event_id=fill.broker_fill_id, fill=fill, raw=fill.raw,
    )  # fmt: skip


def _order_fills_catch_up(order: Order, broker: Broker, source: str) -> int:
    """Book the fills of one order that the broker shows more filled than our books.

    Step 2 reads fills newer than the newest booked one, but fill times are not booked in
    time order: a paper fill is stamped with its instrument's next bar, which lands later
    for one instrument than another, and an execution can land between step 2 and step 3.
    So an order whose broker view is ahead of its fills has them fetched here, from before
    it was decided (a paper fill's time is that of the bar after the deciding bar).
    """
    decided = min(order.bar_timestamp, order.submitted_at or order.created_at)
    overlap = timedelta(seconds=settings.EXECUTION_POLL_OVERLAP_SECONDS)
    booked = 0
    for fill in broker.fills(after=decided - overlap):
        ours = fill.client_order_id == order.client_order_id or (
            bool(order.broker_order_id) and fill.broker_order_id == order.broker_order_id
        )
        if ours and order_update_apply(update=_fill_update(fill, source=source)):
            metrics.FILL_CATCH_UPS.inc()
            booked += 1
    return booked


def order_updates_poll(
    *, broker: Broker | None = None, source: str = UpdateSource.POLL
) -> PollReport:
    """The fallback for the trade-update stream, run by beat and by the trading cycle.

    1. Orders still ``pending_new`` are resolved with the broker (see ``_pending_resolve``).
    2. The account's fills since the newest recorded one (minus an overlap) are applied;
       fills dedupe on the execution id, so the overlap and a stream that also delivered
       them add nothing.
    3. Every order working here is looked up and its state applied; an order waiting for a
       cancel that the broker still works on is asked to cancel again (a cancel request lost
       in a crash; cancelling twice is harmless); an order the broker shows more filled than
       our books has its own fills fetched first (``_order_fills_catch_up``), and its status
       never runs ahead of its fills (``_target_backed_by_fills``).
    Every step goes through ``order_update_apply``, so running the poll twice changes nothing.
    ``source`` is "reconciliation" when a reconciliation run catches up first.
    """
    broker = broker or get_broker()
    report = PollReport()
    for order in orders_awaiting_ack(broker=broker.name):
        _pending_resolve(order, broker, source)
        report.pending_checked += 1
    watermark = fills_watermark(broker=broker.name)
    overlap = timedelta(seconds=settings.EXECUTION_POLL_OVERLAP_SECONDS)
    for fill in broker.fills(after=watermark - overlap if watermark else None):
        if order_update_apply(update=_fill_update(fill, source=source)):
            report.fills += 1
    for order in orders_working(broker=broker.name):
        remote = broker.order_by_client_id(order.client_order_id)
        if remote is None:
            continue  # unknown at the broker: reconciliation reports the ghost
        if order.status == OrderStatus.PENDING_CANCEL and remote.status in order_states.WORKING:
            broker.cancel(remote.broker_order_id)
            remote = broker.order_by_client_id(order.client_order_id) or remote
        if remote.filled_quantity > order.filled_quantity:
            report.fills += _order_fills_catch_up(order, broker, source)
        if order_update_apply(update=remote_order_update(remote, source=source)):
            report.updates += 1
    return report


def _cancel_at_broker(order: Order, broker: Broker) -> None:
    try:
        remote = broker.order_by_client_id(order.client_order_id)
        if remote is not None and remote.is_open:
            broker.cancel(remote.broker_order_id)
            remote = broker.order_by_client_id(order.client_order_id)
    except BrokerError as exc:
        # The order stays pending_cancel here; the poll asks the broker again.
        logger.error("cancel_failed_at_broker", client_order_id=order.client_order_id,
                     error=str(exc))  # fmt: skip
        return
    if remote is not None:
        order_update_apply(update=remote_order_update(remote, source=UpdateSource.KILL_SWITCH))
    elif not order.broker_order_id:
        # Never reached the broker: nothing to cancel there.
        order_update_apply(
            update=local_order_update(
                order,
                "canceled",
                source=UpdateSource.KILL_SWITCH,
                event_id=f"kill_switch:never_sent:{order.client_order_id}",
                reason="cancelled before it reached the broker",
            )
        )


def orders_cancel_open(*, reason: str, broker: Broker | None = None) -> int:
    """Cancel every open order at the broker; returns how many cancels this call asked for.

    Registered with risk as the kill switch handler (``ExecutionConfig.ready``). Each order
    is first claimed by moving it to ``pending_cancel`` under its row lock (an event with
    the kill switch as source), so two engages at once cancel each order once; then the
    broker is asked to cancel and its answer applied. The final state of a remote order may
    only come later, by the stream or the poll, which also repeats a lost cancel request.
    """
    broker = broker or get_broker()
    stamp = clock.now().isoformat()
    requested = 0
    for order in orders_open().exclude(status=OrderStatus.PENDING_CANCEL):
        claim = local_order_update(
            order, "pending_cancel", source=UpdateSource.KILL_SWITCH,
            event_id=f"kill_switch:{stamp}", reason=f"kill switch: {reason}"[:2000],
        )  # fmt: skip
        if not order_update_apply(update=claim):
            continue
        requested += 1
        _cancel_at_broker(order, broker)
    logger.warning("open_orders_cancel_requested", count=requested, reason=reason)
    return requested
