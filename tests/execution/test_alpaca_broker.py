"""AlpacaBroker against the simulator: idempotent submit, retries, error mapping, reads."""

from __future__ import annotations

from decimal import Decimal

import pytest
from alpaca.trading.enums import QueryOrderStatus
from alpaca.trading.requests import GetOrdersRequest

from execution.brokers.alpaca import AlpacaBroker
from execution.brokers.contract import (
    BrokerOrderNotFound,
    BrokerRejected,
    BrokerUnavailable,
    OrderRequest,
)
from tests.execution.alpaca_fixtures import *  # noqa: F403
from tests.execution.alpaca_fixtures import SIM_KEY_ID, SIM_SECRET_KEY


def make_broker(simulator, *, timeout_s=2.0, key=SIM_KEY_ID) -> AlpacaBroker:
    return AlpacaBroker(
        api_key=key,
        secret_key=SIM_SECRET_KEY,
        base_url=simulator.base_url,
        timeout_s=timeout_s,
        retry_attempts=3,
        retry_max_wait_s=0.05,
    )


@pytest.fixture
def broker(simulator) -> AlpacaBroker:
    return make_broker(simulator)


def buy(client_order_id="c-1", qty="10", **extra) -> OrderRequest:
    return OrderRequest(
        client_order_id=client_order_id, symbol="AAPL", side="buy", quantity=Decimal(qty), **extra
    )


def orders_at_simulator(trading_client, client_order_id):
    orders = trading_client.get_orders(GetOrdersRequest(status=QueryOrderStatus.ALL, limit=500))
    return [o for o in orders if o.client_order_id == client_order_id]


def test_submit_returns_the_accepted_order_and_it_fills_with_an_execution_id(
    broker, control, next_bar
):
    order = broker.submit(buy())
    assert (order.status, order.client_order_id, order.quantity) == ("new", "c-1", Decimal(10))
    assert order.is_open

    next_bar(2)
    control.tick()

    fills = broker.fills()
    assert len(fills) == 1
    assert fills[0].broker_order_id == order.broker_order_id
    assert fills[0].quantity == Decimal(10)
    assert broker.order_by_client_id("c-1").status == "filled"
    assert broker.open_orders() == []
    (position,) = broker.positions()
    assert (position.symbol, position.quantity) == ("AAPL", Decimal(10))
    account = broker.account()
    assert account.cash == Decimal(100000) - 10 * fills[0].price


def test_timeout_after_the_broker_accepted_leaves_exactly_one_order(
    simulator, control, trading_client
):
    broker = make_broker(simulator, timeout_s=0.3)
    control.arm("timeout", count=1, delay_s=1.0, method="POST", path="/v2/orders")

    order = broker.submit(buy("cause-42"))

    assert order.client_order_id == "cause-42"
    assert len(orders_at_simulator(trading_client, "cause-42")) == 1


def test_server_error_is_retried_after_looking_the_order_up(broker, control, trading_client):
    control.arm("server_error", count=1, method="POST", path="/v2/orders")

    order = broker.submit(buy("cause-43"))

    assert order.status == "new"
    assert len(orders_at_simulator(trading_client, "cause-43")) == 1


def test_a_broker_that_keeps_failing_is_unavailable_and_creates_nothing(
    broker, control, trading_client
):
    control.arm("server_error", method="POST", path="/v2/orders")

    with pytest.raises(BrokerUnavailable) as error:
        broker.submit(buy("cause-44"))

    assert error.value.status == 500
    assert error.value.retryable
    control.clear()
    assert orders_at_simulator(trading_client, "cause-44") == []


def test_a_duplicate_client_order_id_answers_with_the_existing_order(broker, trading_client):
    first = broker.submit(buy("cause-45"))
    second = broker.submit(buy("cause-45", qty="99"))

    assert second.broker_order_id == first.broker_order_id
    assert second.quantity == Decimal(10)
    assert len(orders_at_simulator(trading_client, "cause-45")) == 1


def test_insufficient_buying_power_is_rejected_with_alpacas_code(broker):
    with pytest.raises(BrokerRejected) as error:
        broker.submit(buy(qty="1000000"))

    assert (error.value.status, error.value.code) == (403, "40310000")
    assert "buying power" in error.value.message


def test_an_invalid_order_is_rejected_not_retried(broker):
    with pytest.raises(BrokerRejected) as error:
        broker.submit(
            OrderRequest(client_order_id="c-9", symbol="NOPE", side="buy", quantity=Decimal(1))
        )

    assert error.value.status == 422
    assert not error.value.retryable


def test_wrong_keys_are_rejected(simulator):
    with pytest.raises(BrokerRejected) as error:
        make_broker(simulator, key="stolen").account()

    assert error.value.status == 403


def test_an_unknown_order_is_not_found(broker):
    with pytest.raises(BrokerOrderNotFound):
        broker.cancel("5f0c5c36-1d6a-4d39-9f4a-5d4b8a2a9d11")
    assert broker.order_by_client_id("never-sent") is None


def test_rate_limit_is_unavailable(broker, control):
    control.arm("rate_limit")

    with pytest.raises(BrokerUnavailable) as error:
        broker.account()

    assert error.value.status == 429


def test_cancel_and_replace_a_working_limit_order(broker):
    order = broker.submit(
        buy("lim-1", order_type="limit", limit_price=Decimal("1.00"), time_in_force="gtc")
    )

    replacement = broker.replace(order.broker_order_id, limit_price=Decimal("1.10"))

    assert replacement.replaces == order.broker_order_id
    assert replacement.limit_price == Decimal("1.10")
    assert broker.order_by_client_id("lim-1").status == "replaced"
    assert [o.broker_order_id for o in broker.open_orders()] == [replacement.broker_order_id]
    broker.cancel(replacement.broker_order_id)
    assert broker.open_orders() == []
    assert broker.order_get(replacement.broker_order_id).status == "canceled"
