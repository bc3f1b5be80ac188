from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from prometheus_client import REGISTRY

from execution.brokers.contract import OrderUpdate
from execution.models import Fill, Order, OrderEvent, Position
from execution.services import order_update_apply

pytestmark = pytest.mark.django_db


def _status_update(remote, event, *, event_id=None, source="stream"):
    return OrderUpdate(
        event=event,
        order=replace(remote, status={"fill": "filled"}.get(event, event)),
        at=remote.updated_at,
        source=source,
        event_id=event_id or f"{remote.broker_order_id}:{event}",
    )


def _anomalies(kind: str) -> float:
    value = REGISTRY.get_sample_value("tradingops_execution_order_anomalies_total", {"kind": kind})
    return value or 0.0


def test_an_acknowledgement_moves_the_order_to_new_and_stores_the_event(sent_order):
    order, remote = sent_order()

    assert order_update_apply(update=_status_update(remote, "new")) is True

    order.refresh_from_db()
    assert (order.status, order.broker_order_id) == ("new", remote.broker_order_id)
    assert order.acknowledged_at is not None
    (event,) = OrderEvent.objects.filter(order=order)
    assert (event.from_status, event.to_status, event.source) == ("pending_new", "new", "stream")
    assert event.outcome == "applied" and event.payload["broker_status"] == "new"


def test_a_duplicate_fill_update_books_one_fill(sent_order, memory_broker):
    order, _ = sent_order()
    update = memory_broker.execute("ord-1", "10", "101.5", fee="1")

    assert order_update_apply(update=update) is True
    assert order_update_apply(update=update) is False
    # The same execution reported by the poll under another event id is still one fill.
    assert order_update_apply(update=replace(update, event_id="poll-view", source="poll")) is False

    order.refresh_from_db()
    assert Fill.objects.count() == 1
    assert (order.status, order.filled_quantity) == ("filled", Decimal("10"))
    position = Position.objects.get()
    assert position.quantity == Decimal("10")
    assert position.realized_pnl == Decimal("-1")  # the fee
    assert OrderEvent.objects.filter(order=order).count() == 1


def test_out_of_order_updates_never_regress_the_status_and_fill_once(sent_order, memory_broker):
    order, remote = sent_order()
    partial = memory_broker.execute("ord-1", "4", "100")
    final = memory_broker.execute("ord-1", "6", "102")

    for update in (final, partial, _status_update(remote, "new"), final, partial):
        order_update_apply(update=update)

    order.refresh_from_db()
    assert order.status == "filled"
    assert order.filled_quantity == Decimal("10")
    assert order.average_fill_price == Decimal("101.2")
    assert Fill.objects.count() == 2
    stale = OrderEvent.objects.get(order=order, outcome="stale")
    assert (stale.event, stale.from_status, stale.to_status) == ("new", "filled", "filled")


def test_a_fill_after_a_cancel_is_booked_once_recorded_as_an_anomaly_and_counted(
    sent_order, memory_broker
):
    order, remote = sent_order()
    order_update_apply(update=_status_update(remote, "canceled"))
    before = _anomalies("fill_after_canceled")
    late_fill = memory_broker.execute("ord-1", "3", "100")

    assert order_update_apply(update=late_fill) is True
    assert order_update_apply(update=late_fill) is False

    order.refresh_from_db()
    assert order.status == "canceled"
    assert order.filled_quantity == Decimal("3")  # the money moved: the fill is booked
    assert Position.objects.get().quantity == Decimal("3")
    anomaly = OrderEvent.objects.get(order=order, outcome="anomaly")
    assert anomaly.anomaly == "fill_after_canceled"
    assert _anomalies("fill_after_canceled") == before + 1


def test_a_fill_beyond_the_order_quantity_is_refused_as_an_overfill(sent_order, memory_broker):
    order, _ = sent_order(quantity="5")
    order_update_apply(update=memory_broker.execute("ord-1", "5", "100"))
    extra = memory_broker.execute("ord-1", "5", "100")

    order_update_apply(update=extra)

    order.refresh_from_db()
    assert order.filled_quantity == Decimal("5")
    assert Fill.objects.count() == 1
    assert OrderEvent.objects.get(order=order, outcome="anomaly").anomaly == "overfill"


def test_an_update_for_an_order_we_do_not_know_changes_nothing_and_is_counted(memory_broker, db):
    remote = memory_broker.plant_order("someone-elses", "AAPL")
    before = _anomalies("unknown_order")

    assert order_update_apply(update=_status_update(remote, "new")) is False

    assert not OrderEvent.objects.exists()
    assert _anomalies("unknown_order") == before + 1


def test_a_broker_rejection_records_its_message(sent_order):
    order, remote = sent_order()
    update = replace(_status_update(remote, "rejected"), raw={"message": "not shortable"})

    order_update_apply(update=update)

    order.refresh_from_db()
    assert order.status == "rejected"
    assert "not shortable" in order.reject_reason


def test_two_orders_of_the_same_strategy_move_one_position(sent_order, memory_broker):
    sent_order("buy-1", side="buy", quantity="10")
    sent_order("sell-1", side="sell", quantity="4")

    order_update_apply(update=memory_broker.execute("buy-1", "10", "100"))
    order_update_apply(update=memory_broker.execute("sell-1", "4", "110"))

    position = Position.objects.get()
    assert position.quantity == Decimal("6")
    assert position.realized_pnl == Decimal("40")
    assert Order.objects.filter(status="filled").count() == 2
