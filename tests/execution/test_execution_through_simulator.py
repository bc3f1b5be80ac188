"""Execution end to end through the official alpaca-py client against the Alpaca simulator:
submission, the poll, the stream, reconciliation, the kill switch and a restart of every
process, with the real database on our side and the simulator's own state on the other."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
from alpaca.trading.enums import QueryOrderStatus
from alpaca.trading.requests import GetOrdersRequest

from execution.brokers.alpaca import AlpacaBroker
from execution.brokers.alpaca_stream import trade_stream_build, trade_stream_run, trade_stream_stop
from execution.models import Fill, Order, OrderEvent, Position, ReconciliationBreak
from execution.services import (
    order_submit,
    order_update_apply,
    order_updates_poll,
    orders_cancel_open,
    reconciliation_run,
)
from marketdata.models import Bar
from risk.models import TradingStateSetting
from tests.execution.alpaca_fixtures import *  # noqa: F403
from tests.execution.alpaca_fixtures import SIM_KEY_ID, SIM_SECRET_KEY
from tests.execution.factories import StrategyFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def make_broker(simulator, *, timeout_s=2.0) -> AlpacaBroker:
    """A fresh adapter, as a freshly started process would build it."""
    return AlpacaBroker(
        api_key=SIM_KEY_ID, secret_key=SIM_SECRET_KEY, base_url=simulator.base_url,
        timeout_s=timeout_s, retry_attempts=3, retry_max_wait_s=0.05,
    )  # fmt: skip


@pytest.fixture(autouse=True)
def same_starting_cash(settings):
    settings.PAPER_ACCOUNT_CAPITAL = settings.ALPACA_SIMULATOR_STARTING_CASH


@pytest.fixture
def broker(simulator) -> AlpacaBroker:
    return make_broker(simulator)


@pytest.fixture
def desk(history):
    return StrategyFactory(name="sim-desk", instruments=history)


@pytest.fixture
def submit(desk, history):
    def send(broker, symbol_index=0, side="buy", quantity="10", minutes_ago=0):
        instrument = history[symbol_index]
        bar = Bar.objects.filter(instrument=instrument).order_by("-timestamp")[minutes_ago]
        return order_submit(
            strategy=desk, instrument=instrument, side=side, quantity=Decimal(quantity),
            reference_price=bar.close, bar_timestamp=bar.timestamp, broker=broker,
            manual=True, confirmed=True,
        )  # fmt: skip

    return send


def orders_at_broker(trading_client, status=QueryOrderStatus.ALL):
    return trading_client.get_orders(GetOrdersRequest(status=status, limit=500))


def wait_for(condition, timeout_s=15.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_an_order_is_submitted_acknowledged_and_filled_through_the_poll(
    broker, submit, control, next_bar, trading_client
):
    order = submit(broker)
    assert order.status == "new"
    (at_broker,) = orders_at_broker(trading_client)
    assert at_broker.client_order_id == order.client_order_id

    next_bar(2)
    assert control.tick() >= 1
    order_updates_poll(broker=broker)
    order_updates_poll(broker=broker)

    order.refresh_from_db()
    assert order.status == "filled" and order.filled_quantity == Decimal("10")
    fill = Fill.objects.get(order=order)
    assert Position.objects.get(strategy=order.strategy).quantity == Decimal("10")
    (broker_fill,) = broker.fills()
    assert fill.broker_fill_id == broker_fill.broker_fill_id and fill.price == broker_fill.price


def test_a_timeout_after_the_broker_accepted_gives_one_order_at_the_broker(
    simulator, submit, control, trading_client
):
    slow = make_broker(simulator, timeout_s=0.3)
    control.arm("timeout", count=1, delay_s=1.0, method="POST", path="/v2/orders")

    order = submit(slow)
    again = submit(slow)  # the task retried
    order_updates_poll(broker=slow)

    assert again.pk == order.pk
    order.refresh_from_db()
    assert order.status == "new"
    assert len(orders_at_broker(trading_client)) == 1
    assert Order.objects.count() == 1


def test_reconciliation_finds_a_planted_orphan_ghost_and_position_break(
    broker, submit, control, settings
):
    """The order sent normally is no break; the planted differences each are, once."""
    settings.RECONCILIATION_POLICY = "halt"
    sent = submit(broker)
    # A working order here the broker never heard of.
    Order.objects.create(
        client_order_id="lost-at-the-broker", strategy=sent.strategy, instrument=sent.instrument,
        side="buy", quantity=Decimal(1), reference_price=sent.reference_price,
        bar_timestamp=sent.bar_timestamp, status="new", broker="alpaca", broker_order_id="gone",
    )  # fmt: skip
    orphan = control.plant_order(
        symbol="MSFT", qty="3", side="buy", type="market", time_in_force="day",
        client_order_id="placed-by-hand",
    )  # fmt: skip
    control.plant_position("SPY", qty="5", avg_entry_price="500")

    run = reconciliation_run(broker=broker, request_id="req-sim")
    reconciliation_run(broker=broker)

    breaks = {b.kind: b for b in ReconciliationBreak.objects.all()}
    assert sorted(ReconciliationBreak.objects.values_list("kind", flat=True)) == [
        "ghost_order", "orphan_order", "position_quantity",
    ]  # fmt: skip
    assert ReconciliationBreak.objects.filter(kind="orphan_order").count() == 1
    assert breaks["orphan_order"].broker_order_id == orphan["id"]
    assert breaks["ghost_order"].client_order_id == "lost-at-the-broker"
    spy = ReconciliationBreak.objects.get(kind="position_quantity", symbol="SPY")
    assert (spy.expected, spy.actual) == (0, Decimal("5"))
    assert run.succeeded is True and run.request_id == "req-sim"
    # The halt policy: the ghost's strategy, and the desk for the orphan (no strategy).
    halted = set(TradingStateSetting.objects.filter(state="HALTED").values_list("scope", "key"))
    assert {("strategy", "sim-desk"), ("global", "")} <= halted


def test_the_kill_switch_cancels_every_open_order_at_the_broker(broker, submit, trading_client):
    submit(broker, symbol_index=0)
    submit(broker, symbol_index=1)
    assert len(orders_at_broker(trading_client, QueryOrderStatus.OPEN)) == 2

    assert orders_cancel_open(reason="game day", broker=broker) == 2
    order_updates_poll(broker=broker)

    assert orders_at_broker(trading_client, QueryOrderStatus.OPEN) == []
    assert set(Order.objects.values_list("status", flat=True)) == {"canceled"}
    assert OrderEvent.objects.filter(source="kill_switch").count() >= 2


@pytest.fixture
def trade_stream(simulator, control):
    """The stream process's loop in a thread, feeding the real update writer."""
    built = trade_stream_build(
        url=simulator.stream_url, key_id=SIM_KEY_ID, secret_key=SIM_SECRET_KEY,
        apply=order_update_apply,
    )  # fmt: skip
    stop = threading.Event()
    thread = threading.Thread(target=trade_stream_run, args=(built,), kwargs={"stop": stop})
    thread.start()
    assert wait_for(lambda: control.status()["stream_listeners"] == 1)
    yield built
    stop.set()
    trade_stream_stop(built)
    thread.join(15)


def test_duplicate_and_out_of_order_stream_updates_give_one_fill(
    broker, submit, control, next_bar, trade_stream
):
    control.arm("duplicate_updates", count=4)
    order = submit(broker)
    next_bar(2)
    control.tick()

    assert wait_for(lambda: Order.objects.get(pk=order.pk).status == "filled")
    order_updates_poll(broker=broker)

    assert Fill.objects.filter(order=order).count() == 1
    assert Position.objects.get().quantity == Decimal("10")
    assert OrderEvent.objects.filter(order=order, source="stream").exists()


def test_with_the_stream_dropped_the_poll_catches_up_and_nothing_doubles_after(
    broker, submit, control, next_bar, trade_stream
):
    control.arm("drop_stream", seconds=3)
    assert wait_for(lambda: control.status()["stream_listeners"] == 0, timeout_s=5)
    order = submit(broker)
    next_bar(2)
    control.tick()
    order.refresh_from_db()
    assert order.status == "new"  # nobody told us about the fill

    order_updates_poll(broker=broker)

    order.refresh_from_db()
    assert order.status == "filled"
    assert OrderEvent.objects.filter(order=order, source="poll").exists()
    assert wait_for(lambda: control.status()["stream_listeners"] == 1, timeout_s=20)
    assert Fill.objects.filter(order=order).count() == 1


def test_a_restart_of_every_process_mid_cycle_loses_no_order(
    simulator, submit, control, next_bar, trading_client, frozen_clock
):
    """Orders left in every pre-final state by processes that died; a fresh poll and a
    reconciliation bring each to the broker's truth, with no order sent twice."""
    before = make_broker(simulator)
    # 1. Accepted at the broker, the process died before the acknowledgement was written.
    crashed = submit(before, symbol_index=0)
    Order.objects.filter(pk=crashed.pk).update(status="pending_new", broker_order_id="")
    # 2. Committed, the process died before the send.
    control.arm("server_error", method="POST", path="/v2/orders")
    unsent = submit(before, symbol_index=1)
    assert unsent.status == "pending_new"
    control.clear()
    # 3. Working, then filled at the broker while nobody listened.
    filled_meanwhile = submit(before, symbol_index=2)
    next_bar(2)
    control.tick()
    # 4. Working, the kill switch claimed it and died before asking the broker to cancel.
    cancelling = submit(before, symbol_index=0, quantity="7")
    assert cancelling.status == "new"
    Order.objects.filter(pk=cancelling.pk).update(status="pending_cancel")

    fresh = make_broker(simulator)  # every process restarted
    order_updates_poll(broker=fresh)
    run = reconciliation_run(broker=fresh)

    statuses = dict(Order.objects.values_list("client_order_id", "status"))
    at_broker = {o.client_order_id: o.status.value for o in orders_at_broker(trading_client)}
    assert statuses[crashed.client_order_id] == at_broker[crashed.client_order_id]
    assert statuses[unsent.client_order_id] == at_broker[unsent.client_order_id]
    assert statuses[filled_meanwhile.client_order_id] == "filled"
    assert statuses[cancelling.client_order_id] == "canceled"
    assert at_broker[cancelling.client_order_id] == "canceled"
    assert len(at_broker) == Order.objects.count() == 4  # none lost, none sent twice
    assert not any(s in ("pending_new", "pending_cancel") for s in statuses.values())
    assert run.succeeded is True
    assert not ReconciliationBreak.objects.exists()
