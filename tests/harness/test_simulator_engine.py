"""The simulator's fill engine: pure rules, no database, no server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from harness.simulator.engine import SimBar, WorkingOrder, order_step, slipped_price

T0 = datetime(2026, 3, 2, 19, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def bar(i, open_="100", high="101", low="99", close="100.5", volume="1000") -> SimBar:
    start = T0 + i * MINUTE
    return SimBar(start, start + MINUTE, *(Decimal(v) for v in (open_, high, low, close, volume)))


def order(**overrides) -> WorkingOrder:
    fields = {
        "side": "buy",
        "order_type": "market",
        "time_in_force": "day",
        "remaining": Decimal(10),
        "cursor": T0,
    }
    return WorkingOrder(**{**fields, **overrides})


def step(working, bars, *, now=T0 + 10 * MINUTE, slippage="5", participation="0.1"):
    return order_step(
        working,
        bars,
        now=now,
        slippage_bps=Decimal(slippage),
        participation_rate=Decimal(participation),
    )


def test_market_order_fills_whole_at_the_first_bar_open_moved_against_the_trader():
    result = step(order(), [bar(0), bar(1)])

    assert result.final_status == "filled"
    assert [(e.quantity, e.price, e.bar_start) for e in result.executions] == [
        (Decimal(10), Decimal("100.05"), T0)
    ]
    assert result.cursor == T0 + MINUTE


def test_a_seller_receives_less_than_the_open():
    assert slipped_price(Decimal("100"), "sell", Decimal("5")) == Decimal("99.95")
    assert slipped_price(Decimal("0.5"), "buy", Decimal("5")) == Decimal("0.5003")


def test_bars_before_the_cursor_or_not_yet_closed_fill_nothing():
    result = step(order(cursor=T0 + MINUTE), [bar(0), bar(1)], now=T0 + MINUTE + MINUTE / 2)

    assert result.executions == []
    assert result.final_status is None


def test_volume_participation_caps_each_bar_so_the_order_fills_partially():
    result = step(order(remaining=Decimal(250)), [bar(0), bar(1), bar(2, volume="505")])

    assert [e.quantity for e in result.executions] == [Decimal(100), Decimal(100), Decimal(50)]
    assert result.final_status == "filled"


def test_partial_fill_leaves_the_order_working_at_the_next_bar():
    result = step(order(remaining=Decimal(150)), [bar(0)])

    assert [e.quantity for e in result.executions] == [Decimal(100)]
    assert result.final_status is None
    assert result.cursor == T0 + MINUTE


def test_limit_buy_fills_only_when_the_bar_trades_at_or_below_the_limit():
    waiting = step(order(order_type="limit", limit_price=Decimal("98")), [bar(0)])
    crossed = step(order(order_type="limit", limit_price=Decimal("99.5")), [bar(0)])

    assert waiting.executions == [] and waiting.final_status is None
    assert crossed.executions[0].price == Decimal("99.5")  # never worse than the limit


def test_limit_sell_gets_the_better_open_when_the_market_is_through_the_limit():
    result = step(order(side="sell", order_type="limit", limit_price=Decimal("95")), [bar(0)])

    assert result.executions[0].price == Decimal("99.95")


def test_ioc_cancels_what_the_first_bar_did_not_fill():
    result = step(order(time_in_force="ioc", remaining=Decimal(150)), [bar(0), bar(1)])

    assert [e.quantity for e in result.executions] == [Decimal(100)]
    assert result.final_status == "canceled"


def test_day_order_expires_at_the_session_end():
    working = order(order_type="limit", limit_price=Decimal("50"), expires_at=T0 + 2 * MINUTE)

    assert step(working, [bar(0)], now=T0 + MINUTE).final_status is None
    assert step(working, [bar(0), bar(1)], now=T0 + 3 * MINUTE).final_status == "expired"


def test_participation_zero_turns_the_cap_off():
    result = step(order(remaining=Decimal(5000)), [bar(0)], participation="0")

    assert result.executions[0].quantity == Decimal(5000)


@given(
    remaining=st.integers(min_value=1, max_value=10_000),
    volumes=st.lists(st.integers(min_value=0, max_value=5_000), min_size=1, max_size=8),
    limit=st.decimals(min_value="90", max_value="110", places=2),
    side=st.sampled_from(["buy", "sell"]),
)
def test_fills_never_exceed_the_order_nor_break_the_limit(remaining, volumes, limit, side):
    bars = [bar(i, volume=str(v)) for i, v in enumerate(volumes)]
    working = order(side=side, order_type="limit", limit_price=limit, remaining=Decimal(remaining))

    result = step(working, bars, now=T0 + 20 * MINUTE)

    assert sum(e.quantity for e in result.executions) <= remaining
    for execution in result.executions:
        assert execution.price <= limit if side == "buy" else execution.price >= limit
    if result.final_status == "filled":
        assert sum(e.quantity for e in result.executions) == remaining
