"""alpaca-py's TradingStream against the simulator's trade_updates, through our handler."""

from __future__ import annotations

import asyncio
import threading
import time
from decimal import Decimal

import pytest
from alpaca.trading.enums import OrderSide, TimeInForce
from alpaca.trading.requests import MarketOrderRequest

from execution import metrics
from execution.brokers.alpaca import AlpacaBroker
from execution.brokers.alpaca_stream import (
    TradeUpdateHandler,
    trade_stream_build,
    trade_stream_run,
    trade_stream_stop,
)
from tests.execution.alpaca_fixtures import *  # noqa: F403
from tests.execution.alpaca_fixtures import SIM_KEY_ID, SIM_SECRET_KEY


class Recorder:
    """Stands in for execution.services.order_update_apply (built in another branch)."""

    def __init__(self) -> None:
        self.updates = []
        self.lock = threading.Lock()

    def __call__(self, *, update) -> bool:
        with self.lock:
            self.updates.append(update)
        return True

    def events(self, client_order_id=None):
        with self.lock:
            return [
                u.event
                for u in self.updates
                if client_order_id is None or u.order.client_order_id == client_order_id
            ]


def wait_for(condition, timeout_s=15.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def recorder():
    return Recorder()


@pytest.fixture
def stream(simulator, control, recorder):
    """The stream process's loop in a thread, connected to the simulator."""
    built = trade_stream_build(
        url=simulator.stream_url, key_id=SIM_KEY_ID, secret_key=SIM_SECRET_KEY, apply=recorder
    )
    stop = threading.Event()
    thread = threading.Thread(target=trade_stream_run, args=(built,), kwargs={"stop": stop})
    thread.start()
    assert wait_for(lambda: control.status()["stream_listeners"] == 1)
    yield built
    stop.set()
    trade_stream_stop(built)
    thread.join(15)


def submit(trading_client, client_order_id, qty=10):
    return trading_client.submit_order(
        MarketOrderRequest(
            symbol="AAPL",
            qty=qty,
            side=OrderSide.BUY,
            time_in_force=TimeInForce.DAY,
            client_order_id=client_order_id,
        )
    )


def test_stream_delivers_new_and_fill_with_the_execution_id_of_the_fill_activity(
    stream, recorder, trading_client, control, next_bar, simulator
):
    submit(trading_client, "s-1")
    assert wait_for(lambda: recorder.events("s-1") == ["new"])

    next_bar(2)
    control.tick()

    assert wait_for(lambda: recorder.events("s-1") == ["new", "fill"])
    fill_update = recorder.updates[-1]
    assert fill_update.source == "stream"
    assert fill_update.order.status == "filled"
    assert fill_update.fill.quantity == Decimal(10)
    broker = AlpacaBroker(
        api_key=SIM_KEY_ID, secret_key=SIM_SECRET_KEY, base_url=simulator.base_url
    )
    (polled,) = broker.fills()
    assert fill_update.event_id == fill_update.fill.broker_fill_id == polled.broker_fill_id
    assert fill_update.fill.price == polled.price


def test_stream_reconnects_after_a_drop_and_keeps_delivering(
    stream, recorder, trading_client, control
):
    connects_before = metrics.TRADE_STREAM_CONNECTS._value.get()
    control.arm("drop_stream", seconds=1)
    assert wait_for(lambda: control.status()["stream_listeners"] == 0, timeout_s=5)

    assert wait_for(lambda: control.status()["stream_listeners"] == 1, timeout_s=20)
    submit(trading_client, "s-2")

    assert wait_for(lambda: recorder.events("s-2") == ["new"])
    assert metrics.TRADE_STREAM_CONNECTS._value.get() > connects_before
    assert metrics.TRADE_STREAM_CONNECTED._value.get() == 1


def test_duplicate_updates_arrive_twice_with_the_same_event_id(
    stream, recorder, trading_client, control
):
    control.arm("duplicate_updates", count=1)
    submit(trading_client, "s-3")

    assert wait_for(lambda: recorder.events("s-3") == ["new", "new"])
    first, second = recorder.updates
    assert first.event_id == second.event_id


def test_out_of_order_updates_deliver_the_fill_before_the_new(
    stream, recorder, trading_client, control, next_bar
):
    control.arm("out_of_order_updates", count=2)
    submit(trading_client, "s-4")
    next_bar(2)
    control.tick()

    assert wait_for(lambda: recorder.events("s-4") == ["fill", "new"])


def test_accepted_but_no_update_sends_nothing_for_that_order(
    stream, recorder, trading_client, control
):
    control.arm("no_update", count=1)
    silent = submit(trading_client, "s-5")
    submit(trading_client, "s-6")

    assert wait_for(lambda: recorder.events("s-6") == ["new"])
    assert recorder.events("s-5") == []
    assert trading_client.get_order_by_id(silent.id).client_order_id == "s-5"


def count(event, outcome):
    return metrics.TRADE_STREAM_MESSAGES.labels(event=event, outcome=outcome)._value.get()


def test_a_malformed_message_is_counted_and_never_raises():
    handler = TradeUpdateHandler(apply=Recorder())
    before = count("unknown", "malformed")

    asyncio.run(handler.handle({"stream": "trade_updates", "data": {"event": "fill", "order": {}}}))
    asyncio.run(handler.handle({"stream": "trade_updates"}))

    assert count("unknown", "malformed") == before + 2


def test_a_failing_apply_is_counted_and_never_raises():
    def broken_apply(*, update):
        raise RuntimeError("database is down")

    order = {
        "id": "6f8c1a52-1d2e-4c1f-9a55-3a7b0b1c2d3e",
        "client_order_id": "s-7",
        "symbol": "AAPL",
        "side": "buy",
        "qty": "1",
        "filled_qty": "0",
        "status": "new",
        "type": "market",
        "time_in_force": "day",
    }
    message = {
        "stream": "trade_updates",
        "data": {"event": "new", "timestamp": "2026-03-02T19:00:30Z", "order": order},
    }
    before = count("new", "failed")

    asyncio.run(TradeUpdateHandler(apply=broken_apply).handle(message))

    assert count("new", "failed") == before + 1
