from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from execution.brokers.base import BrokerFill, OrderTicket
from execution.brokers.paper import PaperBroker

DECIDED_ON = datetime(2024, 3, 4, 14, 30, tzinfo=UTC)
NEXT_BAR = DECIDED_ON + timedelta(minutes=1)


def ticket(side="buy", quantity="10", client_order_id="ord-1", instrument_id=7) -> OrderTicket:
    return OrderTicket(
        client_order_id=client_order_id,
        instrument_id=instrument_id,
        symbol="AAPL",
        side=side,
        quantity=Decimal(quantity),
        placed_after=DECIDED_ON,
    )


class BarBook:
    """A stand-in for stored bars that records what the broker asked for."""

    def __init__(self, bar):
        self.bar = bar
        self.asked: list[tuple[int, datetime]] = []

    def __call__(self, instrument_id, after):
        self.asked.append((instrument_id, after))
        return self.bar


def broker(slippage_bps="10", bar=(NEXT_BAR, Decimal("100"))) -> PaperBroker:
    return PaperBroker(slippage_bps=Decimal(slippage_bps), next_bar_open=BarBook(bar))


def fill_of(paper: PaperBroker, order: OrderTicket) -> BrokerFill:
    ack = paper.submit(order)
    (fill,) = paper.fills(order, ack.broker_order_id)
    return fill


def test_a_buy_fills_at_the_next_bar_open_plus_slippage():
    fill = fill_of(broker(slippage_bps="10"), ticket(side="buy"))

    assert fill.price == Decimal("100.100000")
    assert fill.quantity == Decimal("10")
    assert fill.filled_at == NEXT_BAR
    assert fill.fee == 0


def test_a_sell_fills_at_the_next_bar_open_minus_slippage():
    fill = fill_of(broker(slippage_bps="10"), ticket(side="sell"))

    assert fill.price == Decimal("99.900000")


def test_zero_slippage_fills_at_the_open_exactly():
    assert fill_of(broker(slippage_bps="0"), ticket()).price == Decimal("100")


def test_fill_prices_are_quantized_to_six_places():
    paper = broker(slippage_bps="3", bar=(NEXT_BAR, Decimal("123.456789")))

    price = fill_of(paper, ticket()).price

    assert price == Decimal("123.493826")
    assert price.as_tuple().exponent == -6


def test_the_broker_asks_for_the_bar_after_the_decision_for_the_tickets_instrument():
    book = BarBook((NEXT_BAR, Decimal("100")))
    paper = PaperBroker(slippage_bps=Decimal("5"), next_bar_open=book)

    paper.fills(ticket(instrument_id=42), "paper-ord-1")

    assert book.asked == [(42, DECIDED_ON)]


def test_no_fill_while_there_is_no_next_bar():
    paper = broker(bar=None)
    order = ticket()

    assert paper.fills(order, paper.submit(order).broker_order_id) == []


def test_the_broker_order_id_is_derived_from_the_client_order_id():
    paper = broker()

    assert paper.submit(ticket(client_order_id="abc")).broker_order_id == "paper-abc"
    assert paper.submit(ticket(client_order_id="abc")) == paper.submit(
        ticket(client_order_id="abc")
    )
    assert paper.submit(ticket(client_order_id="xyz")).broker_order_id != "paper-abc"


def test_the_fill_id_is_derived_and_stable_across_calls():
    paper = broker()
    order = ticket(client_order_id="abc")
    broker_order_id = paper.submit(order).broker_order_id

    first = paper.fills(order, broker_order_id)
    second = paper.fills(order, broker_order_id)

    assert first == second
    assert first[0].broker_fill_id == "paper-abc-1"


def test_different_orders_get_different_fill_ids():
    paper = broker()

    assert (
        fill_of(paper, ticket(client_order_id="a")).broker_fill_id
        != fill_of(paper, ticket(client_order_id="b")).broker_fill_id
    )


def test_negative_slippage_is_rejected():
    with pytest.raises(ValueError, match="negative"):
        PaperBroker(slippage_bps=Decimal("-1"), next_bar_open=BarBook(None))
