from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from execution.pnl import (
    ZERO,
    Lot,
    PositionState,
    apply_fill,
    lots_after_fill,
    position_after_fill,
    unrealized_pnl,
)

D = Decimal
FLAT = PositionState(ZERO, ZERO)


def position(quantity: str, average: str) -> PositionState:
    return PositionState(D(quantity), D(average))


def test_a_buy_from_flat_opens_a_long_at_the_fill_price():
    after, realized = apply_fill(FLAT, side="buy", quantity=D("10"), price=D("100"))

    assert after == position("10", "100")
    assert realized == 0


def test_a_sell_from_flat_opens_a_short_at_the_fill_price():
    after, realized = apply_fill(FLAT, side="sell", quantity=D("10"), price=D("100"))

    assert after == position("-10", "100")
    assert realized == 0


def test_adding_to_a_long_moves_the_average_price():
    after, realized = apply_fill(
        position("10", "100"), side="buy", quantity=D("30"), price=D("120")
    )

    assert after == position("40", "115")
    assert realized == 0


def test_adding_to_a_short_moves_the_average_price():
    after, realized = apply_fill(
        position("-10", "100"), side="sell", quantity=D("10"), price=D("90")
    )

    assert after == position("-20", "95")
    assert realized == 0


def test_reducing_a_long_realises_pnl_at_the_old_average_and_keeps_it():
    after, realized = apply_fill(
        position("40", "115"), side="sell", quantity=D("10"), price=D("130")
    )

    assert after == position("30", "115")
    assert realized == D("150")


def test_reducing_a_short_realises_pnl_with_the_sign_of_a_short():
    after, realized = apply_fill(position("-20", "95"), side="buy", quantity=D("5"), price=D("90"))

    assert after == position("-15", "95")
    assert realized == D("25")


def test_closing_a_long_at_a_loss_goes_flat_and_realises_the_loss():
    after, realized = apply_fill(
        position("10", "100"), side="sell", quantity=D("10"), price=D("92.5")
    )

    assert after == FLAT
    assert realized == D("-75")


def test_closing_a_short_at_a_loss_goes_flat_and_realises_the_loss():
    after, realized = apply_fill(
        position("-10", "100"), side="buy", quantity=D("10"), price=D("104")
    )

    assert after == FLAT
    assert realized == D("-40")


def test_selling_more_than_a_long_flips_to_a_short_at_the_fill_price():
    after, realized = apply_fill(
        position("10", "100"), side="sell", quantity=D("15"), price=D("90")
    )

    assert after == position("-5", "90")
    assert realized == D("-100")  # only the 10 closed shares realise


def test_buying_more_than_a_short_flips_to_a_long_at_the_fill_price():
    after, realized = apply_fill(
        position("-10", "100"), side="buy", quantity=D("15"), price=D("95")
    )

    assert after == position("5", "95")
    assert realized == D("50")


@pytest.mark.parametrize(
    ("start", "side", "quantity", "price", "realized_before_fee"),
    [
        (FLAT, "buy", "10", "100", "0"),  # open
        (PositionState(D("10"), D("100")), "buy", "5", "110", "0"),  # add
        (PositionState(D("10"), D("100")), "sell", "5", "110", "50"),  # reduce
        (PositionState(D("10"), D("100")), "sell", "10", "110", "100"),  # close
        (PositionState(D("10"), D("100")), "sell", "20", "110", "100"),  # flip
    ],
)
def test_the_fee_is_subtracted_from_what_every_fill_realises(
    start, side, quantity, price, realized_before_fee
):
    _, without_fee = apply_fill(start, side=side, quantity=D(quantity), price=D(price))
    after, with_fee = apply_fill(
        start, side=side, quantity=D(quantity), price=D(price), fee=D("1.25")
    )

    assert without_fee == D(realized_before_fee)
    assert with_fee == D(realized_before_fee) - D("1.25")
    assert after == apply_fill(start, side=side, quantity=D(quantity), price=D(price))[0]


def test_unrealized_pnl_of_a_long_gains_when_the_mark_rises():
    assert unrealized_pnl(position("10", "100"), D("105")) == D("50")
    assert unrealized_pnl(position("10", "100"), D("95")) == D("-50")


def test_unrealized_pnl_of_a_short_gains_when_the_mark_falls():
    assert unrealized_pnl(position("-10", "100"), D("95")) == D("50")
    assert unrealized_pnl(position("-10", "100"), D("105")) == D("-50")


def test_unrealized_pnl_when_flat_is_zero():
    assert unrealized_pnl(FLAT, D("123.45")) == 0


quantities = st.decimals(min_value="0.001", max_value="100000", places=3)
prices = st.decimals(min_value="0.01", max_value="100000", places=2)
fees = st.decimals(min_value="0", max_value="100", places=2)


@given(quantity=quantities, buy=prices, sell=prices, buy_fee=fees, sell_fee=fees)
def test_buying_then_selling_the_same_quantity_realises_the_price_difference_minus_fees(
    quantity, buy, sell, buy_fee, sell_fee
):
    opened, realized_open = apply_fill(FLAT, side="buy", quantity=quantity, price=buy, fee=buy_fee)
    closed, realized_close = apply_fill(
        opened, side="sell", quantity=quantity, price=sell, fee=sell_fee
    )

    assert closed == FLAT
    assert realized_open + realized_close == quantity * (sell - buy) - buy_fee - sell_fee


@given(quantity=quantities, sell=prices, buy=prices)
def test_selling_short_then_buying_back_realises_the_price_difference(quantity, sell, buy):
    opened, _ = apply_fill(FLAT, side="sell", quantity=quantity, price=sell)
    closed, realized = apply_fill(opened, side="buy", quantity=quantity, price=buy)

    assert closed == FLAT
    assert realized == quantity * (sell - buy)


@given(
    buys=st.lists(st.tuples(quantities, prices), min_size=1, max_size=5),
    sell=prices,
)
def test_closing_several_buys_realises_the_sum_of_their_gains(buys, sell):
    state, total = FLAT, ZERO
    for quantity, price in buys:
        state, realized = apply_fill(state, side="buy", quantity=quantity, price=price)
        total += realized

    closed, realized = apply_fill(state, side="sell", quantity=state.quantity, price=sell)
    expected = sum((quantity * (sell - price) for quantity, price in buys), ZERO)

    assert closed == FLAT
    # Average cost divides, so allow for Decimal's 28-digit precision.
    assert abs(total + realized - expected) < D("1e-12")


# -- FIFO lots and the method setting ------------------------------------------------------


def _run(method, fills):
    state, lots, realized = PositionState(Decimal(0), Decimal(0)), (), []
    for side, quantity, price, fee in fills:
        result = position_after_fill(
            method, state, lots, side=side, quantity=Decimal(quantity), price=Decimal(price),
            fee=Decimal(fee),
        )  # fmt: skip
        state, lots, realized = result.state, result.lots, [*realized, result.realized]
    return state, lots, realized


BUY_BUY_SELL = [("buy", "10", "100", "1"), ("buy", "10", "110", "1"), ("sell", "10", "120", "2")]


def test_fifo_closes_the_oldest_lot_first_and_nets_fees():
    state, lots, realized = _run("fifo", BUY_BUY_SELL)

    assert realized == [Decimal("-1"), Decimal("-1"), Decimal("198")]  # 10 x (120 - 100) - 2
    assert lots == (Lot(Decimal("10"), Decimal("110"), None),)
    assert state == PositionState(Decimal("10"), Decimal("110"))


def test_average_cost_closes_at_the_average_and_nets_fees():
    state, _, realized = _run("average", BUY_BUY_SELL)

    assert realized[-1] == Decimal("148")  # 10 x (120 - 105) - 2
    assert state == PositionState(Decimal("10"), Decimal("105"))


def test_both_methods_agree_once_the_position_is_flat():
    flat = [*BUY_BUY_SELL, ("sell", "10", "90", "1")]

    fifo, average = _run("fifo", flat), _run("average", flat)

    assert fifo[0].quantity == average[0].quantity == 0
    assert sum(fifo[2]) == sum(average[2]) == Decimal("-5")  # flat: only the fees remain


def test_a_fill_through_zero_opens_a_lot_the_other_way():
    lots, realized = lots_after_fill(
        (Lot(Decimal("5"), Decimal("100"), 1),), side="sell", quantity=Decimal("8"),
        price=Decimal("90"),
    )  # fmt: skip

    assert realized == Decimal("-50")
    assert lots == (Lot(Decimal("-3"), Decimal("90"), None),)


def test_an_unknown_method_is_refused():
    with pytest.raises(ValueError, match="unknown PnL method"):
        _run("lifo", BUY_BUY_SELL)


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "realized"), [("fifo", "198"), ("average", "148")])
def test_the_method_setting_decides_realized_pnl_of_booked_fills(
    method, realized, settings, sent_order, memory_broker
):
    from execution.models import Fill, Position, PositionLot
    from execution.selectors import account_cash
    from execution.services import order_update_apply

    settings.EXECUTION_PNL_METHOD = method
    for cid, side, qty, price, fee in [
        ("b1", "buy", "10", "100", "1"), ("b2", "buy", "10", "110", "1"),
        ("s1", "sell", "10", "120", "2"),
    ]:  # fmt: skip
        sent_order(cid, side=side, quantity=qty)
        order_update_apply(update=memory_broker.execute(cid, qty, price, fee=fee))

    position = Position.objects.get()
    assert Fill.objects.get(order__client_order_id="s1").realized_pnl == Decimal(realized)
    assert position.quantity == Decimal("10")
    assert position.realized_pnl == Decimal(realized) - 2  # the opening fees
    assert list(PositionLot.objects.values_list("quantity", "price")) == [
        (Decimal("10"), Decimal("110"))
    ]
    # Cash: capital - 1000 - 1100 + 1200 - fees, whatever the PnL method.
    assert account_cash() == settings.PAPER_ACCOUNT_CAPITAL - Decimal("904")
    assert (
        account_cash()
        == memory_broker.account().cash - memory_broker.cash + settings.PAPER_ACCOUNT_CAPITAL
    )
