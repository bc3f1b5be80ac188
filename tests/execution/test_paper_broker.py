from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from execution.brokers.contract import (
    BrokerAccount,
    BrokerFill,
    BrokerOrderNotFound,
    BrokerRejected,
    OrderRequest,
)
from execution.brokers.paper import PaperBroker, PaperOrder

DECIDED_ON = datetime(2024, 3, 4, 14, 30, tzinfo=UTC)
NEXT_BAR = DECIDED_ON + timedelta(minutes=1)


def request(side="buy", quantity="10", client_order_id="ord-1", instrument_id=7) -> OrderRequest:
    return OrderRequest(
        client_order_id=client_order_id,
        symbol="AAPL",
        side=side,
        quantity=Decimal(quantity),
        instrument_id=instrument_id,
        placed_after=DECIDED_ON,
    )


class BarBook:
    """Stored bars, recording what the broker asked for."""

    def __init__(self, bar):
        self.bar = bar
        self.asked: list[tuple[int, datetime]] = []

    def __call__(self, instrument_id, after):
        self.asked.append((instrument_id, after))
        return self.bar


class MemoryBook:
    """The paper broker's memory kept in a dict instead of order rows."""

    def __init__(self):
        self.orders: dict[str, PaperOrder] = {}

    def send(self, paper: PaperBroker, order: OrderRequest):
        self.orders[order.client_order_id] = PaperOrder(order)
        return paper.submit(order)

    def order(self, client_order_id):
        return self.orders.get(client_order_id)

    def working(self):
        return list(self.orders.values())

    def positions(self):
        return []

    def account(self):
        return BrokerAccount(cash=Decimal(1), buying_power=Decimal(1), equity=Decimal(1))


def broker(slippage_bps="10", bar=(NEXT_BAR, Decimal("100")), book=None) -> PaperBroker:
    return PaperBroker(
        slippage_bps=Decimal(slippage_bps), next_bar_open=BarBook(bar), book=book or MemoryBook()
    )


def fill_of(paper: PaperBroker, order: OrderRequest) -> BrokerFill:
    paper.book.send(paper, order)
    (fill,) = [f for f in paper.fills() if f.client_order_id == order.client_order_id]
    return fill


def test_a_buy_fills_at_the_next_bar_open_plus_slippage():
    fill = fill_of(broker(slippage_bps="10"), request(side="buy"))

    assert fill.price == Decimal("100.100000")
    assert fill.quantity == Decimal("10")
    assert fill.filled_at == NEXT_BAR
    assert fill.fee == 0
    assert (fill.symbol, fill.side, fill.broker_order_id) == ("AAPL", "buy", "paper-ord-1")


def test_a_sell_fills_at_the_next_bar_open_minus_slippage():
    fill = fill_of(broker(slippage_bps="10"), request(side="sell"))

    assert fill.price == Decimal("99.900000")


def test_zero_slippage_fills_at_the_open_exactly():
    assert fill_of(broker(slippage_bps="0"), request()).price == Decimal("100")


def test_fill_prices_are_quantized_to_six_places():
    paper = broker(slippage_bps="3", bar=(NEXT_BAR, Decimal("123.456789")))

    price = fill_of(paper, request()).price

    assert price == Decimal("123.493826")
    assert price.as_tuple().exponent == -6


def test_the_broker_asks_for_the_bar_after_the_decision_for_the_orders_instrument():
    paper = broker()
    paper.book.send(paper, request(instrument_id=42))

    paper.fills()

    assert paper.next_bar_open.asked == [(42, DECIDED_ON)]


def test_an_order_works_while_there_is_no_next_bar_and_is_filled_once_there_is():
    paper = broker(bar=None)
    acknowledged = paper.book.send(paper, request())

    assert acknowledged.status == "new"
    assert paper.fills() == []
    assert [o.client_order_id for o in paper.open_orders()] == ["ord-1"]

    paper.next_bar_open.bar = (NEXT_BAR, Decimal("100"))

    filled = paper.order_by_client_id("ord-1")
    assert (filled.status, filled.filled_quantity) == ("filled", Decimal("10"))
    assert paper.open_orders() == []


def test_a_cancel_asked_before_the_next_bar_wins():
    paper = broker(bar=None)
    paper.book.send(paper, request())
    paper.cancel("paper-ord-1")
    paper.book.orders["ord-1"] = PaperOrder(request(), cancel_requested=True)

    assert paper.order_by_client_id("ord-1").status == "canceled"
    assert paper.open_orders() == []


def test_an_order_the_broker_was_never_sent_is_unknown():
    paper = broker()

    assert paper.order_by_client_id("never-sent") is None
    with pytest.raises(BrokerOrderNotFound):
        paper.cancel("paper-never-sent")


def test_only_fills_after_the_watermark_are_listed():
    paper = broker()
    paper.book.send(paper, request())

    assert len(paper.fills(after=DECIDED_ON)) == 1
    assert paper.fills(after=NEXT_BAR) == []


def test_the_broker_order_id_is_derived_from_the_client_order_id():
    paper = broker()

    assert paper.submit(request(client_order_id="abc")).broker_order_id == "paper-abc"
    assert paper.submit(request(client_order_id="abc")) == paper.submit(
        request(client_order_id="abc")
    )
    assert paper.submit(request(client_order_id="xyz")).broker_order_id != "paper-abc"


def test_the_fill_id_is_derived_and_stable_across_calls():
    paper = broker()
    paper.book.send(paper, request(client_order_id="abc"))

    assert paper.fills() == paper.fills()
    assert paper.fills()[0].broker_fill_id == "paper-abc-1"


def test_different_orders_get_different_fill_ids():
    paper = broker()

    assert (
        fill_of(paper, request(client_order_id="a")).broker_fill_id
        != fill_of(paper, request(client_order_id="b")).broker_fill_id
    )


def test_limit_orders_and_replaces_are_refused():
    paper = broker()
    limit = OrderRequest(
        client_order_id="l", symbol="AAPL", side="buy", quantity=Decimal(1), order_type="limit",
        limit_price=Decimal(1), instrument_id=1, placed_after=DECIDED_ON,
    )  # fmt: skip

    with pytest.raises(BrokerRejected):
        paper.submit(limit)
    with pytest.raises(BrokerRejected):
        paper.replace("paper-ord-1", quantity=Decimal(1))


def test_negative_slippage_is_rejected():
    with pytest.raises(ValueError, match="negative"):
        PaperBroker(slippage_bps=Decimal("-1"), next_bar_open=BarBook(None), book=MemoryBook())
