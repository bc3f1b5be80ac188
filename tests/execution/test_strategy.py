from __future__ import annotations

from decimal import Decimal

import pytest

from execution.strategy import EntryRule, IntendedOrder, intended_order

RULE = EntryRule(notional_per_trade=Decimal("10000"), min_confidence=0.55)


def decide(*, direction_up=True, confidence=0.6, position="0", price="150", lot_size="1"):
    return intended_order(
        rule=RULE,
        direction_up=direction_up,
        confidence=confidence,
        position_quantity=Decimal(position),
        price=Decimal(price),
        lot_size=Decimal(lot_size),
    )


def test_a_confident_up_call_when_flat_buys_the_whole_lots_the_notional_affords():
    assert decide(price="150") == IntendedOrder("buy", Decimal("66"))


def test_the_buy_quantity_respects_the_lot_size():
    assert decide(price="150", lot_size="10") == IntendedOrder("buy", Decimal("60"))


def test_a_confident_down_call_sells_the_whole_long():
    assert decide(direction_up=False, position="66") == IntendedOrder("sell", Decimal("66"))


def test_a_confident_up_call_while_already_long_does_nothing():
    assert decide(direction_up=True, position="66") is None


def test_a_down_call_when_flat_does_not_open_a_short():
    assert decide(direction_up=False, position="0") is None


def test_a_down_call_while_short_does_nothing():
    assert decide(direction_up=False, position="-5") is None


@pytest.mark.parametrize("direction_up", [True, False])
def test_nothing_happens_under_the_minimum_confidence(direction_up):
    assert decide(direction_up=direction_up, confidence=0.5499, position="0") is None
    assert decide(direction_up=direction_up, confidence=0.5499, position="10") is None


def test_a_call_exactly_at_the_minimum_confidence_acts():
    assert decide(confidence=0.55) == IntendedOrder("buy", Decimal("66"))


def test_nothing_is_bought_when_the_notional_buys_less_than_one_lot():
    assert decide(price="10000.01") is None
    assert decide(price="150", lot_size="100") is None


def test_exactly_one_lot_is_bought_when_the_notional_covers_exactly_one():
    assert decide(price="10000") == IntendedOrder("buy", Decimal("1"))
