from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from execution.models import Order, OrderEvent
from execution.services import order_submit, order_updates_poll, orders_cancel_open
from marketdata.models import Bar
from risk.models import RiskDecision

pytestmark = pytest.mark.django_db


@pytest.fixture
def submit(desk, history, memory_broker):
    def send(quantity="10", broker=None):
        instrument = history[0]
        bar = Bar.objects.filter(instrument=instrument).order_by("-timestamp").first()
        return order_submit(
            strategy=desk,
            instrument=instrument,
            side="buy",
            quantity=Decimal(quantity),
            reference_price=bar.close,
            bar_timestamp=bar.timestamp,
            broker=broker or memory_broker,
            manual=True,
            confirmed=True,
        )

    return send


def test_an_approved_order_is_sent_once_and_acknowledged(submit, memory_broker):
    order = submit()

    assert order.status == "new"
    assert order.risk_decision.approved
    assert memory_broker.submits == 1
    assert (
        order.broker_order_id
        == memory_broker.order_by_client_id(order.client_order_id).broker_order_id
    )
    assert list(order.events.values_list("from_status", "to_status", "source")) == [
        ("pending_new", "new", "submit")
    ]


def test_a_timeout_after_the_broker_accepted_leaves_pending_new_and_the_retry_sends_nothing_twice(
    submit, memory_broker
):
    memory_broker.fault = "timeout_after_accept"

    order = submit()

    assert order.status == "pending_new"  # committed before the call, unresolved after it
    memory_broker.fault = ""
    again = submit()

    assert again.pk == order.pk
    assert again.status == "new"
    assert memory_broker.submits == 1
    assert Order.objects.count() == 1 and RiskDecision.objects.count() == 1


def test_the_poll_resolves_an_order_left_pending_by_a_crash_without_a_second_send(
    submit, memory_broker
):
    memory_broker.fault = "timeout_after_accept"
    order = submit()
    memory_broker.fault = ""

    order_updates_poll(broker=memory_broker)
    order_updates_poll(broker=memory_broker)

    order.refresh_from_db()
    assert order.status == "new"
    assert memory_broker.submits == 1
    assert order.events.get().source == "poll"


def test_an_order_that_never_reached_the_broker_is_sent_by_the_poll_under_the_same_id(
    submit, memory_broker
):
    memory_broker.fault = "timeout_before_accept"
    order = submit()
    assert memory_broker.submits == 0
    memory_broker.fault = ""

    order_updates_poll(broker=memory_broker)

    order.refresh_from_db()
    assert order.status == "new"
    assert memory_broker.submits == 1
    assert memory_broker.order_by_client_id(order.client_order_id) is not None


def test_an_order_that_never_reached_the_broker_in_time_is_given_up(
    submit, memory_broker, frozen_clock, settings
):
    memory_broker.fault = "timeout_before_accept"
    order = submit()
    frozen_clock.advance(timedelta(seconds=settings.EXECUTION_SUBMIT_RETRY_SECONDS + 1))

    order_updates_poll(broker=memory_broker)

    order.refresh_from_db()
    assert order.status == "rejected"
    assert "never reached the broker" in order.reject_reason
    assert memory_broker.submits == 0


def test_a_broker_refusal_rejects_the_order_with_the_brokers_message(submit, memory_broker):
    memory_broker.fault = "reject"

    order = submit()

    assert order.status == "rejected"
    assert "insufficient buying power" in order.reject_reason
    assert order.risk_decision.approved  # the guard approved; the broker refused


def test_the_kill_switch_cancels_every_open_order_at_the_broker(submit, memory_broker, sent_order):
    submit()
    sent_order("other")

    assert orders_cancel_open(reason="drill", broker=memory_broker) == 2
    assert orders_cancel_open(reason="drill again", broker=memory_broker) == 0

    assert memory_broker.open_orders() == []
    assert set(Order.objects.values_list("status", flat=True)) == {"canceled"}
    assert OrderEvent.objects.filter(source="kill_switch", to_status="pending_cancel").count() == 2
    assert Order.objects.filter(reject_reason__contains="drill").count() == 2


def test_a_cancel_lost_in_a_crash_is_asked_again_by_the_poll(sent_order, memory_broker):
    from execution.services import order_update_apply
    from execution.services.orders import local_order_update

    order, remote = sent_order()
    order.broker_order_id = remote.broker_order_id
    order.status = "new"
    order.save()
    # The kill switch claimed the order, then the process died before calling the broker.
    order_update_apply(
        update=local_order_update(order, "pending_cancel", source="kill_switch", event_id="claim")
    )

    order_updates_poll(broker=memory_broker)

    order.refresh_from_db()
    assert order.status == "canceled"
    assert memory_broker.open_orders() == []
