"""The books' invariants, pure: consistent books give no break, each tampering its own break."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from execution import ledger
from execution.ledger import CashFacts, OrderFacts, PositionFacts

START = Decimal("100000")
STRATEGIES = ("alpha", "beta")
SYMBOLS = ("AAPL", "MSFT")


def _fixed(low: int, high: int, places: int) -> st.SearchStrategy[Decimal]:
    # Integers scaled to Decimal: what st.decimals gives, drawn several times faster.
    return st.integers(min_value=low, max_value=high).map(lambda n: Decimal(n).scaleb(-places))


quantities = _fixed(1, 500_000_000, 6)
prices = _fixed(1, 100_000, 2)
fees = _fixed(0, 500, 2)


@st.composite
def order_with_fills(draw, index: int) -> tuple[OrderFacts, list[tuple[Decimal, Decimal, Decimal]]]:
    """An order and fills consistent with its status: filled sums to its quantity, partially
    filled to less, the rest to anything up to it (a canceled order may have partial fills)."""
    fills = draw(st.lists(st.tuples(quantities, prices, fees), max_size=4))
    total = sum((quantity for quantity, _, _ in fills), Decimal(0))
    if total == 0:
        status = draw(st.sampled_from(["new", "canceled", "rejected", "pending_new"]))
        quantity = draw(quantities)
    else:
        status = draw(st.sampled_from(["filled", "partially_filled", "canceled"]))
        extra = Decimal(0) if status == "filled" else draw(quantities)
        quantity = total + extra
    order = OrderFacts(
        client_order_id=f"ord-{index}",
        strategy=draw(st.sampled_from(STRATEGIES)),
        symbol=draw(st.sampled_from(SYMBOLS)),
        side=draw(st.sampled_from(["buy", "sell"])),
        quantity=quantity,
        status=status,
        filled_quantity=total,
        fills_quantity=total,
        fills_notional=sum((q * p for q, p, _ in fills), Decimal(0)),
        fills_fee=sum((fee for _, _, fee in fills), Decimal(0)),
    )
    return order, fills


@st.composite
def books(draw, min_orders: int = 0) -> tuple[list[OrderFacts], list[PositionFacts], CashFacts]:
    """Consistent books: positions and cash replayed fill by fill from the orders."""
    count = draw(st.integers(min_value=min_orders, max_value=8))
    drawn = [draw(order_with_fills(index)) for index in range(count)]
    positions: dict[tuple[str, str], Decimal] = {}
    cash = START
    for order, fills in drawn:
        sign = 1 if order.side == "buy" else -1
        for quantity, price, fee in fills:
            key = (order.strategy, order.symbol)
            positions[key] = positions.get(key, Decimal(0)) + sign * quantity
            cash += -sign * quantity * price - fee
    rows = [
        PositionFacts(strategy, symbol, quantity)
        for (strategy, symbol), quantity in positions.items()
    ]
    return [order for order, _ in drawn], rows, CashFacts(starting=START, shown=cash)


def _order(**changes) -> OrderFacts:
    base = OrderFacts(
        client_order_id="ord-1", strategy="alpha", symbol="AAPL", side="buy",
        quantity=Decimal("10"), status="filled", filled_quantity=Decimal("10"),
        fills_quantity=Decimal("10"), fills_notional=Decimal("1000"), fills_fee=Decimal("1"),
    )  # fmt: skip
    return replace(base, **changes)


@given(books())
def test_consistent_books_have_no_break(book):
    orders, positions, cash = book

    assert ledger.ledger_breaks(orders, positions, cash) == []


@settings(max_examples=50)
@given(books(min_orders=1), st.data())
def test_a_filled_quantity_that_is_not_its_fills_is_an_order_break(book, data):
    orders, positions, cash = book
    index = data.draw(st.integers(min_value=0, max_value=len(orders) - 1))
    victim = orders[index]
    wrong = victim.filled_quantity + data.draw(quantities)
    orders[index] = replace(victim, filled_quantity=wrong)

    found = ledger.ledger_breaks(orders, positions, cash)

    assert [(b.check, b.subject, b.expected, b.actual) for b in found] == [
        ("order_filled_quantity", victim.client_order_id, victim.fills_quantity, wrong)
    ]


@settings(max_examples=50)
@given(books(), st.sampled_from(SYMBOLS), quantities)
def test_a_position_moved_without_a_fill_is_a_position_break(book, symbol, moved):
    orders, positions, cash = book
    stored = {(p.strategy, p.symbol): p.quantity for p in positions}
    before = stored.get(("alpha", symbol), Decimal(0))
    tampered = [p for p in positions if (p.strategy, p.symbol) != ("alpha", symbol)]
    tampered.append(PositionFacts("alpha", symbol, before + moved))

    found = ledger.ledger_breaks(orders, tampered, cash)

    assert [(b.check, b.subject, b.expected, b.actual) for b in found] == [
        ("position_quantity", f"alpha/{symbol}", before, before + moved)
    ]
    assert found[0].strategy == "alpha"


@settings(max_examples=50)
@given(books(), _fixed(2, 100_000, 2), st.booleans())
def test_cash_off_by_more_than_the_tolerance_is_a_cash_break(book, off, lower):
    orders, positions, cash = book
    shown = cash.shown - off if lower else cash.shown + off

    found = ledger.ledger_breaks(
        orders, positions, replace(cash, shown=shown), cash_tolerance=Decimal("0.01")
    )

    assert [(b.check, b.expected, b.actual) for b in found] == [("cash", cash.shown, shown)]


def test_cash_within_the_tolerance_is_no_break():
    order = _order()
    shown = START - Decimal("1000") - Decimal("1") + Decimal("0.004")

    found = ledger.ledger_breaks(
        [order], [PositionFacts("alpha", "AAPL", Decimal("10"))],
        CashFacts(starting=START, shown=shown), cash_tolerance=Decimal("0.01"),
    )  # fmt: skip

    assert found == []


def test_an_order_marked_filled_without_its_fills_breaks_status_and_position():
    """The issue's lost fill: filled, quantity 0, no fill rows; the position followed nothing."""
    lost = _order(
        status="filled", filled_quantity=Decimal(0), fills_quantity=Decimal(0),
        fills_notional=Decimal(0), fills_fee=Decimal(0),
    )  # fmt: skip

    found = ledger.ledger_breaks([lost], [], CashFacts(starting=START, shown=START))

    (status,) = found
    assert (status.check, status.subject, status.expected, status.actual) == (
        "order_status",
        "ord-1",
        Decimal("10"),
        Decimal(0),
    )
    assert status.fingerprint == "ledger:order_status:ord-1"
    assert status.detail == "filled, but its fills sum to 0 of 10"


def test_a_filled_quantity_set_without_its_fill_breaks_the_order_twice():
    lost = _order(fills_quantity=Decimal(0), fills_notional=Decimal(0), fills_fee=Decimal(0))

    found = ledger.ledger_breaks([lost], [])

    assert [(b.check, b.expected, b.actual) for b in found] == [
        ("order_filled_quantity", Decimal(0), Decimal("10")),
        ("order_status", Decimal("10"), Decimal(0)),
    ]


def test_partially_filled_needs_fills_above_zero_and_below_the_quantity():
    none = _order(status="partially_filled", filled_quantity=Decimal(0), fills_quantity=Decimal(0))
    full = _order(status="partially_filled")
    some = _order(status="partially_filled", filled_quantity=Decimal(4), fills_quantity=Decimal(4))

    assert [b.check for b in ledger.order_breaks(none)] == ["order_status"]
    assert [b.check for b in ledger.order_breaks(full)] == ["order_status"]
    assert ledger.order_breaks(some) == []


def test_fills_over_the_quantity_break_any_status():
    over = _order(status="canceled", filled_quantity=Decimal(12), fills_quantity=Decimal(12))

    (found,) = ledger.order_breaks(over)

    assert (found.check, found.actual) == ("order_status", Decimal(12))
    assert "over its quantity 10" in found.detail


def test_fills_without_a_position_row_break_that_position():
    sold = _order(side="sell", status="filled")

    (found,) = ledger.position_breaks([sold], [])

    assert (found.subject, found.expected, found.actual) == ("alpha/AAPL", Decimal(-10), 0)
