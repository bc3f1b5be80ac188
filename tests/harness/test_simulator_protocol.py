"""The official alpaca-py TradingClient against the simulator: the wire format is Alpaca's."""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_CEILING, Decimal

import httpx
import pytest
from alpaca.common.exceptions import APIError
from alpaca.trading.client import TradingClient
from alpaca.trading.enums import OrderSide, OrderStatus, QueryOrderStatus, TimeInForce
from alpaca.trading.requests import (
    GetOrdersRequest,
    LimitOrderRequest,
    MarketOrderRequest,
    ReplaceOrderRequest,
)

from marketdata.models import Bar
from tests.execution.alpaca_fixtures import *  # noqa: F403
from tests.execution.alpaca_fixtures import SIM_KEY_ID, SIM_SECRET_KEY, simulator_start

UNKNOWN_ID = "5f0c5c36-1d6a-4d39-9f4a-5d4b8a2a9d11"


def market(symbol="AAPL", qty=10, side=OrderSide.BUY, tif=TimeInForce.DAY, **extra):
    return MarketOrderRequest(symbol=symbol, qty=qty, side=side, time_in_force=tif, **extra)


def limit(price, qty=10, side=OrderSide.BUY, tif=TimeInForce.GTC, **extra):
    return LimitOrderRequest(
        symbol="AAPL", qty=qty, side=side, time_in_force=tif, limit_price=price, **extra
    )


def bars_after(symbol, moment):
    return list(
        Bar.objects.filter(instrument__symbol=symbol, timestamp__gte=moment).order_by("timestamp")
    )


def api_error(call, *args) -> APIError:
    with pytest.raises(APIError) as error:
        call(*args)
    return error.value


def test_market_order_fills_at_the_next_bar_open_plus_slippage(trading_client, control, next_bar):
    order = trading_client.submit_order(market(client_order_id="cycle-1-AAPL"))
    assert order.status == OrderStatus.NEW
    assert order.client_order_id == "cycle-1-AAPL"
    assert order.expires_at is not None  # a DAY order ends with the session
    assert control.tick() == 0  # no bar has closed since the order was placed

    next_bar(2)
    assert control.tick() == 1

    filled = trading_client.get_order_by_id(order.id)
    bar = bars_after("AAPL", order.submitted_at)[0]
    expected = (bar.open * Decimal("1.0005")).quantize(Decimal("0.01"), rounding=ROUND_CEILING)
    assert filled.status == OrderStatus.FILLED
    assert Decimal(filled.filled_qty) == 10
    assert Decimal(filled.filled_avg_price) == expected
    position = trading_client.get_open_position("AAPL")
    assert Decimal(position.qty) == 10
    assert Decimal(position.avg_entry_price) == expected
    account = trading_client.get_account()
    assert Decimal(account.cash) == Decimal("100000") - 10 * expected


def test_participation_cap_fills_a_large_order_over_several_bars(
    simulator, trading_client, control, next_bar
):
    simulator.server.sim.participation_rate = Decimal("0.001")
    order = trading_client.submit_order(market(qty=1_000_000, side=OrderSide.SELL))

    next_bar(2)
    control.tick()

    partial = trading_client.get_order_by_id(order.id)
    first_bar = bars_after("AAPL", order.submitted_at)[0]
    assert partial.status == OrderStatus.PARTIALLY_FILLED
    assert Decimal(partial.filled_qty) == int(first_bar.volume * Decimal("0.001"))
    next_bar(1)
    control.tick()
    assert Decimal(trading_client.get_order_by_id(order.id).filled_qty) > Decimal(
        partial.filled_qty
    )
    position = trading_client.get_open_position("AAPL")
    assert position.side == "short"
    assert Decimal(position.qty) < 0


def test_limit_order_waits_until_a_bar_crosses_it(trading_client, control, next_bar):
    far = trading_client.submit_order(limit(1))
    near = trading_client.submit_order(limit(5_000, qty=1))

    next_bar(2)
    control.tick()

    assert trading_client.get_order_by_id(far.id).status == OrderStatus.NEW
    filled = trading_client.get_order_by_id(near.id)
    assert filled.status == OrderStatus.FILLED
    assert Decimal(filled.filled_avg_price) <= 5_000
    open_ids = [o.id for o in trading_client.get_orders(GetOrdersRequest(status="open"))]
    assert open_ids == [far.id]


def test_ioc_cancels_the_rest_after_the_first_bar(trading_client, control, next_bar):
    order = trading_client.submit_order(limit(1, tif=TimeInForce.IOC))

    next_bar(2)
    control.tick()

    assert trading_client.get_order_by_id(order.id).status == OrderStatus.CANCELED


def test_day_order_expires_at_the_session_close(trading_client, control, frozen_clock):
    order = trading_client.submit_order(limit(1, tif=TimeInForce.DAY))

    frozen_clock.advance(timedelta(hours=3))  # past the 21:00 UTC close
    control.tick()

    expired = trading_client.get_order_by_id(order.id)
    assert expired.status == OrderStatus.EXPIRED
    assert expired.expired_at is not None


def test_cancel_ends_the_order_and_a_second_cancel_is_refused(trading_client):
    order = trading_client.submit_order(limit(1))

    trading_client.cancel_order_by_id(order.id)

    assert trading_client.get_order_by_id(order.id).status == OrderStatus.CANCELED
    error = api_error(trading_client.cancel_order_by_id, order.id)
    assert error.status_code == 422


def test_cancel_all_answers_per_order(trading_client):
    first, second = trading_client.submit_order(limit(1)), trading_client.submit_order(limit(2))

    results = trading_client.cancel_orders()

    assert {(r.id, r.status) for r in results} == {(first.id, 200), (second.id, 200)}
    assert trading_client.get_orders() == []


def test_replace_creates_a_new_order_and_ends_the_old_one(trading_client):
    order = trading_client.submit_order(limit(1, client_order_id="orig"))

    new = trading_client.replace_order_by_id(
        order.id, ReplaceOrderRequest(qty=5, limit_price=2, client_order_id="orig-r1")
    )

    assert (new.replaces, new.client_order_id, new.qty, new.limit_price) == (
        order.id,
        "orig-r1",
        "5",
        "2",
    )
    old = trading_client.get_order_by_id(order.id)
    assert (old.status, old.replaced_by) == (OrderStatus.REPLACED, new.id)


def test_insufficient_buying_power_is_a_403_with_alpacas_body(trading_client):
    error = api_error(trading_client.submit_order, market(qty=1_000_000))

    assert (error.status_code, error.code) == (403, 40310000)
    assert error.message == "insufficient buying power"


def test_invalid_quantity_is_a_422(trading_client):
    error = api_error(
        trading_client.post,
        "/orders",
        {"symbol": "AAPL", "qty": "0", "side": "buy", "type": "market", "time_in_force": "day"},
    )

    assert error.status_code == 422
    assert "qty" in error.message


def test_client_order_id_is_unique(trading_client):
    trading_client.submit_order(market(client_order_id="once"))

    error = api_error(trading_client.submit_order, market(client_order_id="once"))

    assert (error.status_code, error.code) == (422, 40010001)
    assert len(trading_client.get_orders(GetOrdersRequest(status=QueryOrderStatus.ALL))) == 1


def test_wrong_keys_are_forbidden(simulator):
    stranger = TradingClient("someone", "else", url_override=simulator.base_url)

    assert api_error(stranger.get_account).status_code == 403


def test_unknown_order_and_position_are_404(trading_client):
    assert api_error(trading_client.get_order_by_id, UNKNOWN_ID).status_code == 404
    assert api_error(trading_client.get_order_by_client_id, "nope").status_code == 404
    assert api_error(trading_client.get_open_position, "MSFT").status_code == 404


def test_reject_and_server_error_faults(trading_client, control):
    control.arm("reject", count=1)
    assert api_error(trading_client.submit_order, market()).status_code == 403
    control.arm("reject", count=1, status=422, message="symbol is halted")
    halted = api_error(trading_client.submit_order, market())
    assert (halted.status_code, halted.message) == (422, "symbol is halted")

    control.arm("server_error", count=1)
    assert api_error(trading_client.get_account).status_code == 500

    assert trading_client.submit_order(market()).status == OrderStatus.NEW
    assert control.faults() == []


def test_timeout_fault_accepts_the_order_but_answers_late(simulator, control):
    control.arm("timeout", count=1, delay_s=2.0)

    with pytest.raises(httpx.ReadTimeout):
        httpx.post(
            f"{simulator.base_url}/v2/orders",
            headers={"APCA-API-KEY-ID": SIM_KEY_ID, "APCA-API-SECRET-KEY": SIM_SECRET_KEY},
            json={
                "symbol": "AAPL",
                "qty": "1",
                "side": "buy",
                "type": "market",
                "time_in_force": "day",
                "client_order_id": "late",
            },
            timeout=0.5,
        )

    client = TradingClient(SIM_KEY_ID, SIM_SECRET_KEY, url_override=simulator.base_url)
    assert client.get_order_by_client_id("late").status == OrderStatus.NEW


def test_unknown_fault_and_bad_json_are_4xx(simulator, control):
    headers = {"APCA-API-KEY-ID": SIM_KEY_ID, "APCA-API-SECRET-KEY": SIM_SECRET_KEY}
    unknown = httpx.post(
        f"{simulator.base_url}/_simulator/faults", headers=headers, json={"fault": "meteor"}
    )
    bad_json = httpx.post(f"{simulator.base_url}/v2/orders", headers=headers, content=b"{not")

    assert unknown.status_code == 422
    assert "meteor" in unknown.json()["message"]
    assert (bad_json.status_code, bad_json.json()["code"]) == (400, 40010000)


def test_fill_activities_page_oldest_first(trading_client, control, next_bar):
    for n in range(3):
        trading_client.submit_order(market(qty=1, client_order_id=f"act-{n}"))
    next_bar(2)
    control.tick()

    first = trading_client.get("/account/activities/FILL", {"direction": "asc", "page_size": 2})
    rest = trading_client.get(
        "/account/activities/FILL",
        {"direction": "asc", "page_size": 2, "page_token": first[-1]["id"]},
    )

    assert len(first) == 2 and len(rest) == 1
    assert all(a["activity_type"] == "FILL" and a["type"] == "fill" for a in first + rest)
    assert isinstance(first[0]["price"], str) and "::" in first[0]["id"]


def test_planted_orders_and_positions_are_visible_to_the_client(trading_client, control):
    planted = control.plant_order(
        symbol="MSFT", qty="3", side="sell", type="limit", limit_price="999", time_in_force="gtc"
    )
    control.plant_position("SPY", qty="7", avg_entry_price="500")

    assert [str(o.id) for o in trading_client.get_orders()] == [planted["id"]]
    (position,) = trading_client.get_all_positions()
    assert (position.symbol, position.qty, position.avg_entry_price) == ("SPY", "7", "500")


def test_a_restarted_simulator_keeps_orders_positions_and_cash(
    simulator, sim_db_path, trading_client, control, next_bar
):
    order = trading_client.submit_order(market(qty=2))
    working = trading_client.submit_order(limit(1))
    next_bar(2)
    control.tick()
    cash = trading_client.get_account().cash

    simulator.stop()
    restarted = simulator_start(sim_db_path)
    try:
        client = TradingClient(SIM_KEY_ID, SIM_SECRET_KEY, url_override=restarted.base_url)
        assert client.get_order_by_id(order.id).status == OrderStatus.FILLED
        assert [o.id for o in client.get_orders()] == [working.id]
        assert client.get_open_position("AAPL").qty == "2"
        assert client.get_account().cash == cash
    finally:
        restarted.stop()
