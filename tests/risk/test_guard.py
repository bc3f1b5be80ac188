"""The pure guard: each check at its boundary, scopes, trading states, fail closed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from risk import guard
from risk.guard import TradingState as TS
from risk.guard import checks

NOW = datetime(2026, 3, 2, 19, 0, tzinfo=UTC)
D = Decimal


def intent(**changes: object) -> guard.OrderIntent:
    base = guard.OrderIntent(
        client_order_id="s1-AAPL-buy",
        strategy="s1",
        symbol="AAPL",
        side="buy",
        quantity=D(10),
        reference_price=D(100),
    )
    return replace(base, **changes)


def state(**limits: object) -> guard.GuardState:
    return guard.GuardState(kill_switch_engaged=False, limits=guard.Limits(**limits))


def book(**changes: object) -> guard.PortfolioSnapshot:
    base = guard.PortfolioSnapshot(
        position_quantity=D(0),
        daily_pnl=D(0),
        instrument_position_quantity=D(0),
        gross_exposure=D(0),
        net_exposure=D(0),
        equity=D(100000),
        peak_equity=D(100000),
        buying_power=D(100000),
        strategy_enabled=True,
        model_is_champion=True,
    )
    return replace(base, **changes)


MARKET = guard.MarketSnapshot(last_trusted_price=D(100), price_age_s=D(1))


def codes(decision: guard.Decision) -> list[str]:
    return [r.code for r in decision.reasons]


def decide(i=None, s=None, p=None, m=MARKET, a=None) -> guard.Decision:
    return guard.evaluate(i or intent(), s or state(), p or book(), m, a)


def test_an_order_within_every_limit_is_approved():
    assert decide().approved


# --- Order size, position, exposure --------------------------------------------------------


@pytest.mark.parametrize(("limit", "approved"), [("1000", True), ("999.99", False)])
def test_max_order_notional_boundary(limit, approved):
    decision = decide(s=state(max_order_notional=D(limit)))

    assert decision.approved is approved
    assert decision.utilisation["max_order_notional"] == pytest.approx(1000 / float(limit))


@pytest.mark.parametrize(("limit", "approved"), [("10", True), ("9", False)])
def test_max_order_quantity_boundary(limit, approved):
    assert decide(s=state(max_order_quantity=D(limit))).approved is approved


def test_max_position_notional_counts_the_position_after_the_order():
    s = state(max_position_notional=D(5000))

    assert decide(p=book(instrument_position_quantity=D(40)), s=s).approved  # 50 x 100
    refused = decide(p=book(instrument_position_quantity=D(41)), s=s)
    assert codes(refused) == ["max_position_notional"]


def test_an_order_that_shrinks_an_oversized_position_passes_the_position_limit():
    oversized = book(position_quantity=D(100), instrument_position_quantity=D(100))

    decision = decide(i=intent(side="sell"), p=oversized, s=state(max_position_notional=D(1)))

    assert decision.approved


def test_gross_and_net_exposure_limits_both_report():
    decision = decide(
        p=book(gross_exposure=D(9500), net_exposure=D(9500)),
        s=state(max_gross_exposure=D(10000), max_net_exposure=D(10000)),
    )

    assert codes(decision) == ["max_gross_exposure", "max_net_exposure"]


def test_exposure_limits_fail_closed_when_the_exposure_is_unknown():
    decision = decide(p=book(gross_exposure=None), s=state(max_gross_exposure=D(10**9)))

    assert codes(decision) == ["input_unavailable"]


# --- Daily loss and drawdown ----------------------------------------------------------------


def test_daily_loss_at_the_limit_rejects_new_risk_and_warns_from_the_warning_level():
    s = state(max_daily_loss=D(1000), daily_loss_warning_pct=D(80))

    below = decide(p=book(daily_pnl=D(-799)), s=s)
    warned = decide(p=book(daily_pnl=D(-800)), s=s)
    at_limit = decide(p=book(daily_pnl=D(-1000)), s=s)

    assert below.approved and not below.warnings
    assert warned.approved and [w.code for w in warned.warnings] == ["max_daily_loss"]
    assert codes(at_limit) == ["max_daily_loss"]


def test_daily_loss_still_lets_a_position_reducing_order_out():
    decision = decide(
        i=intent(side="sell", quantity=D(5)),
        p=book(position_quantity=D(10), daily_pnl=D(-5000)),
        s=state(max_daily_loss=D(1000)),
    )

    assert decision.approved


def test_drawdown_from_the_peak_at_its_limit_rejects():
    s = state(max_drawdown=D(500))

    assert decide(p=book(equity=D(99501)), s=s).approved
    assert codes(decide(p=book(equity=D(99500)), s=s)) == ["max_drawdown"]


# --- Prices ---------------------------------------------------------------------------------


def test_price_collar_on_a_limit_order_uses_the_limit_price():
    s = state(price_collar_bps=D(100))

    inside = intent(order_type="limit", limit_price=D(101))
    outside = intent(order_type="limit", limit_price=D("101.01"))

    assert decide(i=inside, s=s).approved
    assert codes(decide(i=outside, s=s)) == ["price_collar"]


def test_price_collar_on_a_market_order_adds_expected_slippage():
    s = state(price_collar_bps=D(100), expected_slippage_bps=D(50))

    # 100.49 + 50 bps = 100.99 (99 bps away); 100.51 + 50 bps = 101.01 (101 bps away).
    assert decide(i=intent(reference_price=D("100.49")), s=s).approved
    assert codes(decide(i=intent(reference_price=D("100.51")), s=s)) == ["price_collar"]


@pytest.mark.parametrize(
    ("market", "code"),
    [
        (guard.MarketSnapshot(D(100), D(1), quarantined=True), "price_quarantined"),
        (guard.MarketSnapshot(D(100), D(1), stale=True), "price_stale"),
        (guard.MarketSnapshot(D(100), D(61)), "price_stale"),
        (guard.MarketSnapshot(D(100), None), "price_stale"),
    ],
)
def test_bad_reference_data_rejects(market, code):
    assert codes(decide(m=market, s=state(max_price_age_s=D(60)))) == [code]


def test_a_price_exactly_at_the_maximum_age_passes():
    assert decide(m=guard.MarketSnapshot(D(100), D(60)), s=state(max_price_age_s=D(60))).approved


def test_without_a_market_snapshot_price_checks_fail_closed():
    assert codes(decide(m=None, s=state(price_collar_bps=D(10)))) == ["input_unavailable"]


# --- Rates, duplicates, buying power, permissions -------------------------------------------


@pytest.mark.parametrize(
    ("activity", "code"),
    [
        (guard.ActivitySnapshot(strategy_orders_last_second=2), "rate_limit_strategy"),
        (guard.ActivitySnapshot(strategy_orders_last_minute=10), "rate_limit_strategy"),
        (guard.ActivitySnapshot(global_orders_last_second=5), "rate_limit_global"),
        (guard.ActivitySnapshot(global_orders_last_minute=50), "rate_limit_global"),
    ],
)
def test_order_rate_limits_per_strategy_and_global(activity, code):
    s = state(
        max_orders_per_second=D(2),
        max_orders_per_minute=D(10),
        global_max_orders_per_second=D(5),
        global_max_orders_per_minute=D(50),
    )
    below = guard.ActivitySnapshot(
        strategy_orders_last_second=1,
        strategy_orders_last_minute=9,
        global_orders_last_second=4,
        global_orders_last_minute=49,
    )

    assert decide(s=s, a=below).approved
    assert codes(decide(s=s, a=activity)) == [code]


def test_a_duplicate_within_the_window_is_rejected():
    duplicate = guard.ActivitySnapshot(duplicate_within_window=True)

    assert codes(decide(s=state(duplicate_window_s=D(5)), a=duplicate)) == ["duplicate_order"]
    assert decide(s=state(), a=duplicate).approved  # no window configured: no duplicate check


def test_buying_power_must_cover_the_order_and_the_reserve():
    s = state(min_buying_power_reserve=D(100))

    assert decide(p=book(buying_power=D(1100)), s=s).approved
    assert codes(decide(p=book(buying_power=D("1099.99")), s=s)) == ["buying_power"]


def test_restricted_disabled_and_non_champion_each_give_a_reason():
    s = replace(state(), restricted=True)

    decision = decide(s=s, p=book(strategy_enabled=False, model_is_champion=False))

    assert codes(decision) == [
        "restricted_instrument",
        "strategy_disabled",
        "model_not_champion",
    ]


def test_an_unknown_strategy_status_fails_closed():
    assert codes(decide(p=book(strategy_enabled=None))) == ["strategy_disabled"]


def test_a_large_manual_order_needs_the_confirmation_flag():
    s = state(manual_confirm_notional=D(999))
    manual = intent(manual=True)

    assert codes(decide(i=manual, s=s, p=book(model_is_champion=None))) == [
        "manual_confirmation_required"
    ]
    assert decide(i=replace(manual, confirmed=True), s=s, p=book(model_is_champion=None)).approved
    assert decide(i=intent(manual=True, quantity=D("9.99")), s=s).approved


def test_every_failing_check_is_listed_not_only_the_first():
    decision = decide(
        s=state(max_order_notional=D(1), max_order_quantity=D(1), duplicate_window_s=D(5)),
        a=guard.ActivitySnapshot(duplicate_within_window=True),
        p=book(strategy_enabled=False),
    )

    assert codes(decision) == [
        "max_order_notional",
        "max_order_quantity",
        "duplicate_order",
        "strategy_disabled",
    ]


def test_a_check_that_raises_rejects_the_order(monkeypatch):
    def broken(context: object) -> list:
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(checks, "CHECKS", (*checks.CHECKS, ("broken", broken)))

    decision = decide()

    assert not decision.approved
    assert codes(decision) == ["check_failed"]


def test_no_limits_configured_fails_closed():
    decision = guard.evaluate(intent(), guard.GuardState(False, None), book(), MARKET)

    assert codes(decision) == ["limits_not_configured"]


# --- Trading states -------------------------------------------------------------------------


def test_the_kill_switch_rejects_even_a_reducing_order():
    halted = guard.GuardState(True, guard.Limits(), TS.HALTED)

    decision = decide(i=intent(side="sell"), p=book(position_quantity=D(10)), s=halted)

    assert codes(decision) == ["kill_switch_engaged"]


@pytest.mark.parametrize(
    ("side", "quantity", "position", "approved"),
    [
        ("sell", "10", "10", True),  # closes the long
        ("sell", "4", "10", True),  # shrinks it
        ("sell", "11", "10", False),  # flips to short
        ("buy", "1", "10", False),  # grows it
        ("buy", "5", "-5", True),  # covers a short
        ("buy", "6", "-5", False),  # flips to long
        ("sell", "1", "0", False),  # opens from flat
    ],
)
def test_reducing_accepts_only_orders_that_shrink_the_position(side, quantity, position, approved):
    reducing = guard.GuardState(False, guard.Limits(), TS.REDUCING, "drawdown")

    decision = decide(
        i=intent(side=side, quantity=D(quantity)), p=book(position_quantity=D(position)), s=reducing
    )

    assert decision.approved is approved
    if not approved:
        assert codes(decision) == ["trading_reducing"]


def _risk_state(**changes: object) -> guard.RiskState:
    base = guard.RiskState(
        version="v",
        kill_switch_engaged=False,
        global_state=guard.ScopedState(TS.ACTIVE),
        strategy_states={},
        instrument_states={},
        limit_rows=(guard.LimitRow("global", "", {"max_order_notional": D(1000)}),),
    )
    return replace(base, **changes)


@pytest.mark.parametrize(
    ("global_", "strategy", "instrument", "expected"),
    [
        (TS.ACTIVE, TS.ACTIVE, TS.ACTIVE, TS.ACTIVE),
        (TS.REDUCING, TS.ACTIVE, TS.ACTIVE, TS.REDUCING),
        (TS.ACTIVE, TS.HALTED, TS.ACTIVE, TS.HALTED),
        (TS.ACTIVE, TS.REDUCING, TS.HALTED, TS.HALTED),
        (TS.HALTED, TS.ACTIVE, TS.REDUCING, TS.HALTED),
    ],
)
def test_the_most_restrictive_state_of_the_three_scopes_applies(
    global_, strategy, instrument, expected
):
    risk = _risk_state(
        global_state=guard.ScopedState(global_),
        strategy_states={"s1": guard.ScopedState(strategy)},
        instrument_states={"AAPL": guard.ScopedState(instrument)},
    )

    resolved = guard.guard_state_resolve(risk, strategy="s1", symbol="AAPL", now=NOW)

    assert resolved.trading_state == expected


def test_a_state_set_on_another_strategy_or_instrument_does_not_apply():
    risk = _risk_state(
        strategy_states={"s2": guard.ScopedState(TS.HALTED)},
        instrument_states={"MSFT": guard.ScopedState(TS.HALTED)},
    )

    resolved = guard.guard_state_resolve(risk, strategy="s1", symbol="AAPL", now=NOW)

    assert resolved.trading_state == TS.ACTIVE


def test_a_cooldown_halts_until_it_ends():
    cooling = guard.ScopedState(TS.ACTIVE, "losses", cooldown_until=NOW + timedelta(minutes=30))
    risk = _risk_state(strategy_states={"s1": cooling})

    during = guard.guard_state_resolve(risk, strategy="s1", symbol="AAPL", now=NOW)
    after = guard.guard_state_resolve(
        risk, strategy="s1", symbol="AAPL", now=NOW + timedelta(minutes=30)
    )

    assert (during.trading_state, after.trading_state) == (TS.HALTED, TS.ACTIVE)


# --- Limits per scope -----------------------------------------------------------------------


def test_strategy_and_instrument_overrides_take_the_stricter_and_inherit_the_rest():
    rows = (
        guard.LimitRow("global", "", {"max_order_notional": D(1000), "max_daily_loss": D(50)}),
        guard.LimitRow("strategy", "s1", {"max_order_notional": D(800)}),
        guard.LimitRow("instrument", "AAPL", {"max_order_notional": D(900)}),
    )

    both = guard.limits_resolve(rows, (), strategy="s1", symbol="AAPL", now=NOW)
    instrument_only = guard.limits_resolve(rows, (), strategy="s2", symbol="AAPL", now=NOW)
    neither = guard.limits_resolve(rows, (), strategy="s2", symbol="MSFT", now=NOW)

    assert both.max_order_notional == D(800)
    assert both.max_daily_loss == D(50)
    assert instrument_only.max_order_notional == D(900)
    assert neither.max_order_notional == D(1000)


def test_a_temporary_override_applies_until_it_expires():
    rows = (guard.LimitRow("global", "", {"max_order_notional": D(1000)}),)
    override = guard.TemporaryOverride(
        "global", "", "max_order_notional", D(2000), expires_at=NOW + timedelta(hours=1)
    )

    during = guard.limits_resolve(rows, (override,), strategy="s", symbol="A", now=NOW)
    after = guard.limits_resolve(
        rows, (override,), strategy="s", symbol="A", now=NOW + timedelta(hours=1)
    )

    assert (during.max_order_notional, after.max_order_notional) == (D(2000), D(1000))


# --- Auto-trips -----------------------------------------------------------------------------


def test_trips_detect_daily_loss_and_drawdown():
    limits = guard.Limits(max_daily_loss=D(100), max_drawdown=D(50))

    trips = guard.trips_detect(limits, book(daily_pnl=D(-100), equity=D(99950)))

    assert [(t.limit, t.action) for t in trips] == [
        ("max_daily_loss", "kill_switch"),
        ("max_drawdown", "reducing"),
    ]
    halting = guard.trips_detect(replace(limits, drawdown_halts=True), book(equity=D(99950)))
    assert [t.action for t in halting] == ["halted"]


def test_consecutive_losses_count_only_the_trailing_streak():
    assert guard.consecutive_losses([D(-1), D(2), D(-1), D(-3)]) == 2
    assert guard.consecutive_losses([D(-1), D(-1), D(1)]) == 0
    assert guard.consecutive_losses([]) == 0


# --- Properties -----------------------------------------------------------------------------

quantities = st.decimals(min_value=D(1), max_value=D(500), places=0)
prices = st.decimals(min_value=D(1), max_value=D(1000), places=2)


@settings(max_examples=200, deadline=None)
@given(
    orders=st.lists(
        st.tuples(st.sampled_from(["buy", "sell"]), quantities, prices), min_size=1, max_size=40
    ),
    limit=st.decimals(min_value=D(100), max_value=D(100000), places=0),
)
def test_no_sequence_of_approved_orders_leaves_a_position_beyond_its_limit(orders, limit):
    s = state(max_position_notional=limit)
    position = D(0)
    for side, quantity, price in orders:
        i = intent(side=side, quantity=quantity, reference_price=price)
        held = book(position_quantity=position, instrument_position_quantity=position)
        if decide(i=i, s=s, p=held, m=guard.MarketSnapshot(price, D(0))).approved:
            before = abs(position) * price
            position += i.signed_quantity
            # Either within the limit at this price, or strictly closer to flat than before.
            assert abs(position) * price <= limit or abs(position) * price < before


@settings(max_examples=200, deadline=None)
@given(
    side=st.sampled_from(["buy", "sell"]),
    quantity=quantities,
    position=st.decimals(min_value=D(-1000), max_value=D(1000), places=0),
)
def test_reducing_never_approves_an_order_that_grows_or_flips_the_position(
    side, quantity, position
):
    reducing = guard.GuardState(False, guard.Limits(), TS.REDUCING)
    i = intent(side=side, quantity=quantity)

    decision = decide(i=i, s=reducing, p=book(position_quantity=position))

    after = position + i.signed_quantity
    grows_or_flips = abs(after) > abs(position) or (after != 0 and (after > 0) != (position > 0))
    assert decision.approved is not grows_or_flips


@settings(max_examples=100, deadline=None)
@given(
    notional_limit=st.decimals(min_value=D(1), max_value=D(10**6), places=2),
    quantity=quantities,
    price=prices,
)
def test_an_approved_order_never_exceeds_the_order_notional_limit(notional_limit, quantity, price):
    decision = decide(
        i=intent(quantity=quantity, reference_price=price),
        s=state(max_order_notional=notional_limit),
        m=guard.MarketSnapshot(price, D(0)),
    )

    assert decision.approved is (quantity * price <= notional_limit)


# --- Each limit at each scope ---------------------------------------------------------------

# (limit, a value the base order breaks, the reason code). The base order: buy 10 at 100 on a
# book with a little exposure and a small loss.
BREACHES = [
    ("max_order_notional", D(999), "max_order_notional"),
    ("max_order_quantity", D(9), "max_order_quantity"),
    ("max_position_notional", D(999), "max_position_notional"),
    ("max_gross_exposure", D(1500), "max_gross_exposure"),
    ("max_net_exposure", D(1500), "max_net_exposure"),
    ("max_daily_loss", D(100), "max_daily_loss"),
    ("max_drawdown", D(100), "max_drawdown"),
    ("price_collar_bps", D(10), "price_collar"),
    ("max_price_age_s", D(30), "price_stale"),
    ("max_orders_per_second", D(1), "rate_limit_strategy"),
    ("global_max_orders_per_minute", D(3), "rate_limit_global"),
    ("min_buying_power_reserve", D(99500), "buying_power"),
]
SCOPE_KEYS = {"global": "", "strategy": "s1", "instrument": "AAPL"}


@pytest.mark.parametrize("scope", list(SCOPE_KEYS))
@pytest.mark.parametrize(("field", "value", "code"), BREACHES)
def test_each_limit_rejects_when_set_at_each_scope(scope, field, value, code):
    rows = [guard.LimitRow("global", "", {})]
    if scope == "global":
        rows = [guard.LimitRow("global", "", {field: value})]
    else:
        rows.append(guard.LimitRow(scope, SCOPE_KEYS[scope], {field: value}))
    risk = _risk_state(limit_rows=tuple(rows))
    resolved = guard.guard_state_resolve(risk, strategy="s1", symbol="AAPL", now=NOW)
    other = guard.guard_state_resolve(risk, strategy="s2", symbol="MSFT", now=NOW)
    loaded = book(daily_pnl=D(-100), equity=D(99900), gross_exposure=D(600), net_exposure=D(600))
    busy = guard.ActivitySnapshot(strategy_orders_last_second=1, global_orders_last_minute=3)
    market = guard.MarketSnapshot(D(101), D(45))

    decision = guard.evaluate(intent(), resolved, loaded, market, busy)
    elsewhere = guard.evaluate(intent(symbol="MSFT", strategy="s2"), other, loaded, market, busy)

    assert code in codes(decision)
    # A strategy's or an instrument's limit does not reach other strategies and instruments.
    assert (code in codes(elsewhere)) is (scope == "global")
