from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from risk.guard import (
    INVALID_ORDER,
    KILL_SWITCH_ENGAGED,
    LIMITS_NOT_CONFIGURED,
    MAX_DAILY_LOSS,
    MAX_ORDER_NOTIONAL,
    STATE_UNAVAILABLE,
    GuardState,
    Limits,
    OrderIntent,
    PortfolioSnapshot,
    evaluate,
    fail_closed,
    reduces_position,
)

LIMITS = Limits(max_order_notional=Decimal("10000.00"), max_daily_loss=Decimal("500.00"))
OPEN = GuardState(kill_switch_engaged=False, limits=LIMITS)
FLAT = PortfolioSnapshot(position_quantity=Decimal(0), daily_pnl=Decimal(0))


def intent(side="buy", quantity="10", price="100", **kwargs) -> OrderIntent:
    fields = {
        "client_order_id": "c-1",
        "strategy": "baseline",
        "symbol": "AAPL",
        "side": side,
        "quantity": Decimal(quantity),
        "reference_price": Decimal(price),
    }
    return OrderIntent(**{**fields, **kwargs})


def codes(decision) -> list[str]:
    return [reason.code for reason in decision.reasons]


def snapshot(position="0", daily_pnl="0") -> PortfolioSnapshot:
    return PortfolioSnapshot(position_quantity=Decimal(position), daily_pnl=Decimal(daily_pnl))


def test_an_order_within_every_limit_is_approved_with_no_reasons():
    decision = evaluate(intent(), OPEN, FLAT)

    assert decision.approved is True
    assert decision.reasons == ()


def test_kill_switch_rejects_every_order_even_a_reducing_one():
    engaged = GuardState(kill_switch_engaged=True, limits=LIMITS)

    for side, position in (("buy", "0"), ("sell", "10")):
        decision = evaluate(intent(side=side), engaged, snapshot(position=position))

        assert decision.approved is False
        assert codes(decision) == [KILL_SWITCH_ENGAGED]


def test_missing_limits_fail_closed_as_not_configured():
    decision = evaluate(intent(), GuardState(kill_switch_engaged=False, limits=None), FLAT)

    assert decision.approved is False
    assert codes(decision) == [LIMITS_NOT_CONFIGURED]
    assert decision.utilisation == {}


def test_limits_configured_as_none_of_each_kind_approve_any_valid_order():
    unlimited = GuardState(kill_switch_engaged=False, limits=Limits(None, None))

    decision = evaluate(intent(quantity="1000000"), unlimited, snapshot(daily_pnl="-1000000"))

    assert decision.approved is True
    assert decision.utilisation == {}


def test_notional_exactly_at_the_limit_is_approved():
    decision = evaluate(intent(quantity="100", price="100.00"), OPEN, FLAT)

    assert decision.approved is True
    assert decision.utilisation[MAX_ORDER_NOTIONAL] == 1.0


def test_notional_one_cent_over_the_limit_is_rejected():
    decision = evaluate(intent(quantity="1", price="10000.01"), OPEN, FLAT)

    assert decision.approved is False
    assert codes(decision) == [MAX_ORDER_NOTIONAL]
    assert "10000.01" in decision.reasons[0].message
    assert "10000.00" in decision.reasons[0].message


def test_the_notional_limit_applies_to_sells_too():
    decision = evaluate(intent(side="sell", quantity="200"), OPEN, snapshot(position="200"))

    assert codes(decision) == [MAX_ORDER_NOTIONAL]


def test_daily_loss_just_under_the_limit_still_allows_new_risk():
    decision = evaluate(intent(), OPEN, snapshot(daily_pnl="-499.99"))

    assert decision.approved is True


def test_daily_loss_at_the_limit_rejects_a_buy_that_adds_risk():
    decision = evaluate(intent(), OPEN, snapshot(daily_pnl="-500.00"))

    assert decision.approved is False
    assert codes(decision) == [MAX_DAILY_LOSS]
    assert decision.utilisation[MAX_DAILY_LOSS] == 1.0


def test_daily_loss_at_the_limit_allows_a_sell_that_reduces_a_long():
    decision = evaluate(intent(side="sell", quantity="10"), OPEN, snapshot("10", "-500.00"))

    assert decision.approved is True


def test_daily_loss_at_the_limit_allows_a_buy_that_covers_a_short():
    decision = evaluate(intent(side="buy", quantity="5"), OPEN, snapshot("-10", "-750"))

    assert decision.approved is True


def test_daily_loss_at_the_limit_rejects_a_sell_that_flips_a_long_to_short():
    decision = evaluate(intent(side="sell", quantity="11"), OPEN, snapshot("10", "-500"))

    assert codes(decision) == [MAX_DAILY_LOSS]


def test_a_daily_profit_uses_none_of_the_loss_limit():
    decision = evaluate(intent(), OPEN, snapshot(daily_pnl="250"))

    assert decision.approved is True
    assert decision.utilisation[MAX_DAILY_LOSS] == 0.0


def test_utilisation_reports_the_fraction_of_each_limit_used():
    decision = evaluate(intent(quantity="25", price="100"), OPEN, snapshot(daily_pnl="-125"))

    assert decision.utilisation == {MAX_ORDER_NOTIONAL: 0.25, MAX_DAILY_LOSS: 0.25}


def test_every_reason_is_listed_together():
    engaged = GuardState(kill_switch_engaged=True, limits=LIMITS)

    decision = evaluate(intent(quantity="1000"), engaged, snapshot(daily_pnl="-600"))

    assert decision.approved is False
    assert codes(decision) == [KILL_SWITCH_ENGAGED, MAX_ORDER_NOTIONAL, MAX_DAILY_LOSS]
    assert all(reason.message for reason in decision.reasons)


def test_kill_switch_and_missing_limits_are_listed_together():
    decision = evaluate(intent(), GuardState(kill_switch_engaged=True, limits=None), FLAT)

    assert codes(decision) == [KILL_SWITCH_ENGAGED, LIMITS_NOT_CONFIGURED]


@pytest.mark.parametrize(
    ("side", "quantity", "price"),
    [
        ("hold", "10", "100"),
        ("BUY", "10", "100"),
        ("buy", "0", "100"),
        ("sell", "-5", "100"),
        ("buy", "10", "0"),
        ("buy", "10", "-1"),
    ],
)
def test_an_invalid_order_is_rejected_without_running_the_limit_checks(side, quantity, price):
    decision = evaluate(intent(side=side, quantity=quantity, price=price), OPEN, FLAT)

    assert decision.approved is False
    assert codes(decision) == [INVALID_ORDER]
    assert decision.utilisation == {}


def test_an_invalid_order_under_an_engaged_kill_switch_lists_both_reasons():
    engaged = GuardState(kill_switch_engaged=True, limits=LIMITS)

    decision = evaluate(intent(quantity="0"), engaged, FLAT)

    assert codes(decision) == [INVALID_ORDER, KILL_SWITCH_ENGAGED]


@pytest.mark.parametrize(
    ("side", "quantity", "position", "expected"),
    [
        ("sell", "5", "10", True),  # trims a long
        ("sell", "10", "10", True),  # closes a long
        ("sell", "11", "10", False),  # flips long to short
        ("buy", "5", "10", False),  # adds to a long
        ("buy", "5", "-10", True),  # trims a short
        ("buy", "10", "-10", True),  # closes a short
        ("buy", "11", "-10", False),  # flips short to long
        ("sell", "5", "-10", False),  # adds to a short
        ("sell", "5", "0", False),  # opens a short
        ("buy", "5", "0", False),  # opens a long
        ("sell", "0", "10", False),  # does nothing
    ],
)
def test_reduces_position_only_for_orders_that_shrink_it(side, quantity, position, expected):
    assert reduces_position(intent(side=side, quantity=quantity), Decimal(position)) is expected


def test_fail_closed_rejects_with_the_state_unavailable_reason():
    decision = fail_closed("database unreachable")

    assert decision.approved is False
    assert codes(decision) == [STATE_UNAVAILABLE]
    assert decision.reasons[0].message == "database unreachable"


maybe_limit = st.none() | st.decimals(min_value="0.01", max_value="100000", places=2)


@given(
    side=st.sampled_from(["buy", "sell", "short"]),
    quantity=st.decimals(min_value="-10", max_value="1000", places=3),
    price=st.decimals(min_value="-1", max_value="1000", places=2),
    kill_switch=st.booleans(),
    limits=st.none() | st.builds(Limits, maybe_limit, maybe_limit),
    position=st.decimals(min_value="-1000", max_value="1000", places=3),
    daily_pnl=st.decimals(min_value="-100000", max_value="100000", places=2),
)
def test_an_approved_order_is_valid_within_every_limit_and_the_switch_is_off(
    side, quantity, price, kill_switch, limits, position, daily_pnl
):
    order = intent(side=side, quantity=str(quantity), price=str(price))
    state = GuardState(kill_switch_engaged=kill_switch, limits=limits)
    portfolio = PortfolioSnapshot(position_quantity=position, daily_pnl=daily_pnl)

    decision = evaluate(order, state, portfolio)

    assert decision.approved == (decision.reasons == ())
    if decision.approved:
        assert not kill_switch
        assert limits is not None
        assert side in ("buy", "sell") and quantity > 0 and price > 0
        if limits.max_order_notional is not None:
            assert order.notional <= limits.max_order_notional
        if limits.max_daily_loss is not None and -daily_pnl >= limits.max_daily_loss:
            assert reduces_position(order, position)
    else:
        assert len({reason.code for reason in decision.reasons}) == len(decision.reasons)
