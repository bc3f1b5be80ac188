from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from common.money import (
    apply_bps,
    quantity_for_notional,
    quantize_price,
)

notionals = st.decimals(min_value="0", max_value="1000000000", places=2)
prices = st.decimals(min_value="0.01", max_value="1000000", places=6)
lot_sizes = st.decimals(min_value="0.000001", max_value="1000", places=6)


@given(notional=notionals, price=prices, lot_size=lot_sizes)
def test_quantity_for_notional_never_over_spends(notional, price, lot_size):
    quantity = quantity_for_notional(notional, price, lot_size)

    assert quantity >= 0
    assert quantity * price <= notional


@given(notional=notionals, price=prices, lot_size=lot_sizes)
def test_quantity_for_notional_is_the_largest_whole_number_of_lots(notional, price, lot_size):
    quantity = quantity_for_notional(notional, price, lot_size)

    assert quantity % lot_size == 0
    assert (quantity + lot_size) * price > notional


def test_quantity_for_notional_rounds_down_to_whole_lots():
    assert quantity_for_notional(Decimal("1000"), Decimal("30"), Decimal("1")) == Decimal("33")
    assert quantity_for_notional(Decimal("1000"), Decimal("30"), Decimal("10")) == Decimal("30")


def test_quantity_for_notional_supports_fractional_lots():
    quantity = quantity_for_notional(Decimal("100"), Decimal("30000"), Decimal("0.0001"))

    assert quantity == Decimal("0.0033")


def test_quantity_for_notional_is_zero_when_one_lot_costs_more_than_the_notional():
    assert quantity_for_notional(Decimal("99.99"), Decimal("100"), Decimal("1")) == 0


def test_quantity_for_notional_spends_exactly_the_notional_when_it_divides():
    assert quantity_for_notional(Decimal("1000"), Decimal("100"), Decimal("1")) == Decimal("10")


@pytest.mark.parametrize(
    ("price", "lot_size"),
    [(Decimal("0"), Decimal("1")), (Decimal("-1"), Decimal("1")), (Decimal("10"), Decimal("0"))],
)
def test_quantity_for_notional_rejects_non_positive_price_or_lot_size(price, lot_size):
    with pytest.raises(ValueError, match="positive"):
        quantity_for_notional(Decimal("1000"), price, lot_size)


def test_apply_bps_moves_price_up_by_positive_basis_points():
    assert apply_bps(Decimal("100"), Decimal("25")) == Decimal("100.25")


def test_apply_bps_moves_price_down_by_negative_basis_points():
    assert apply_bps(Decimal("200"), Decimal("-50")) == Decimal("199")


def test_apply_bps_with_zero_basis_points_leaves_price_unchanged():
    assert apply_bps(Decimal("123.456"), Decimal("0")) == Decimal("123.456")


@given(price=prices, bps=st.decimals(min_value="-1000", max_value="1000", places=2))
def test_apply_bps_is_proportional_to_the_price(price, bps):
    moved = apply_bps(price, bps)

    assert moved - price == price * bps / Decimal(10000)
    assert (moved > price) == (bps > 0)


def test_quantize_price_keeps_six_decimal_places():
    assert quantize_price(Decimal("1.23456789")) == Decimal("1.234568")
    assert quantize_price(Decimal("1.0000005")) == Decimal("1.000000")
    assert quantize_price(Decimal("2")).as_tuple().exponent == -6
