"""The official alpaca-py TradingClient against the simulator: the wire format is Alpaca's."""

from __future__ import annotations

from decimal import Decimal

from alpaca.trading.enums import OrderSide, OrderStatus, TimeInForce
from alpaca.trading.requests import (
    MarketOrderRequest,
)

from marketdata.models import Bar
from tests.execution.alpaca_fixtures import *  # noqa: F403


def market(symbol="AAPL", qty=10, side=OrderSide.BUY, tif=TimeInForce.DAY, **extra):
    return MarketOrderRequest(symbol=symbol, qty=qty, side=side, time_in_force=tif, **extra)


def bar_after(symbol, moment):
    return (
        Bar.objects.filter(instrument__symbol=symbol, timestamp__gte=moment)
        .order_by("timestamp")
        .first()
    )


def test_market_order_fills_at_the_next_bar_open_plus_slippage(trading_client, control, next_bar):
    order = trading_client.submit_order(market(client_order_id="cycle-1-AAPL"))
    assert order.status == OrderStatus.NEW
    assert order.client_order_id == "cycle-1-AAPL"
    assert control.tick() == 0  # no bar has closed since the order was placed

    next_bar(2)
    assert control.tick() == 1

    filled = trading_client.get_order_by_id(order.id)
    bar = bar_after("AAPL", order.submitted_at)
    expected = (bar.open * Decimal("1.0005")).quantize(Decimal("0.01"))
    assert filled.status == OrderStatus.FILLED
    assert Decimal(filled.filled_qty) == 10
    assert Decimal(filled.filled_avg_price) == expected
    position = trading_client.get_open_position("AAPL")
    assert Decimal(position.qty) == 10
    assert Decimal(position.avg_entry_price) == expected
    account = trading_client.get_account()
    assert Decimal(account.cash) == Decimal("100000") - 10 * expected
