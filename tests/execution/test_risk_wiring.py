"""Execution fills the guard's snapshots and cancels open orders when the kill switch trips."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from prometheus_client import REGISTRY

from execution.models import Fill, Order
from execution.services import order_submit, trading_cycle_run
from marketdata.models import Bar
from models_registry.models import Signal
from risk import services as risk_services
from risk.models import RestrictedInstrument, RiskDecision, RiskTrip, TradingStateSetting

pytestmark = pytest.mark.django_db


def _submit(strategy, instrument, quantity="10", **kwargs):
    bar = Bar.objects.filter(instrument=instrument).order_by("-timestamp").first()
    return order_submit(
        strategy=strategy,
        instrument=instrument,
        side="buy",
        quantity=Decimal(quantity),
        reference_price=bar.close,
        bar_timestamp=bar.timestamp,
        **kwargs,
    )


def test_engaging_the_kill_switch_cancels_every_open_order(strategy, instruments, operator):
    orders = [_submit(strategy, instrument) for instrument in instruments]
    assert {o.status for o in orders} == {"new"}

    switch = risk_services.kill_switch_engage(actor=operator, reason="halt all")

    assert switch.orders_cancelled == 3
    for order in orders:
        order.refresh_from_db()
        assert order.status == "canceled"
        assert "halt all" in order.reject_reason


def test_engaging_through_the_api_reports_the_cancelled_orders(
    strategy, instruments, operator, api_client
):
    _submit(strategy, instruments[0])
    api_client.force_authenticate(operator)

    response = api_client.post(
        "/api/v1/risk/kill-switch/engage/", {"reason": "api halt"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["orders_cancelled"] == 1
    assert not Order.objects.filter(status="new").exists()


def test_a_disabled_strategy_is_rejected_by_the_guard(strategy, instruments):
    strategy.enabled = False
    strategy.save()

    order = _submit(strategy, instruments[0])

    assert order.status == "rejected"
    assert [r["code"] for r in order.risk_decision.reasons] == ["strategy_disabled"]


def test_a_restricted_instrument_is_rejected(strategy, instruments):
    RestrictedInstrument.objects.create(symbol="AAPL", reason="earnings blackout")

    order = _submit(strategy, instruments[0])

    assert [r["code"] for r in order.risk_decision.reasons] == ["restricted_instrument"]


def test_a_large_manual_order_needs_its_confirmation_flag(strategy, instruments):
    price = Bar.objects.filter(instrument=instruments[0]).latest("timestamp").close
    quantity = str(int(15000 / price) + 1)  # above the 10,000 confirmation threshold

    unconfirmed = _submit(strategy, instruments[0], quantity=quantity, manual=True)

    assert [r["code"] for r in unconfirmed.risk_decision.reasons] == [
        "manual_confirmation_required"
    ]


def test_the_snapshot_carries_exposure_equity_and_price_age(strategy, instruments):
    _submit(strategy, instruments[0])

    decision = RiskDecision.objects.get()
    assert decision.approved
    # Every limit the seeded defaults configure left a utilisation figure.
    assert {"max_order_notional", "max_position_notional", "price_collar", "price_stale"} <= set(
        decision.utilisation
    )
    assert decision.utilisation["price_stale"] == pytest.approx(30 / 600)  # 30 s of 600 s


def test_the_cycle_lets_risk_observe_the_book(strategy):
    trading_cycle_run()

    assert not RiskTrip.objects.exists()  # a calm book trips nothing


def _skipped(reason: str) -> float:
    return (
        REGISTRY.get_sample_value(
            "tradingops_execution_strategies_skipped_total", {"reason": reason}
        )
        or 0.0
    )


def _losing_trades(strategy, instrument, frozen_clock, n: int = 5) -> None:
    """``n`` closed trades that each lost 10, just before now (the books' own rows)."""
    for i in range(n):
        at = frozen_clock.now() - timedelta(minutes=n - i)
        order = Order.objects.create(
            client_order_id=f"losing-{i}", strategy=strategy, instrument=instrument,
            side="sell", quantity=Decimal(1), filled_quantity=Decimal(1), status="filled",
            reference_price=Decimal(100), bar_timestamp=at,
        )  # fmt: skip
        Fill.objects.create(
            order=order, broker_fill_id=f"losing-fill-{i}", quantity=Decimal(1),
            price=Decimal(100), realized_pnl=Decimal(-10), filled_at=at,
        )  # fmt: skip


def test_a_losing_streak_cools_the_strategy_down_and_the_cycle_skips_it_without_asking_the_guard(
    strategy, instruments, frozen_clock
):
    _losing_trades(strategy, instruments[0], frozen_clock)
    skipped = _skipped("loss_cooldown")
    decisions = RiskDecision.objects.count()

    report = trading_cycle_run()

    trip = RiskTrip.objects.get()
    assert (trip.limit, trip.key, trip.action) == (
        "max_consecutive_losses",
        strategy.name,
        "cooldown",
    )
    assert report.skipped == {strategy.name: "loss_cooldown"}
    assert report.orders == {}
    # No decision was asked for: a halted strategy's orders could only have been rejected.
    assert RiskDecision.objects.count() == decisions
    assert not Order.objects.exclude(client_order_id__startswith="losing-").exists()
    assert _skipped("loss_cooldown") == skipped + 1
    # The champion still predicted: its live record has no gap while the strategy rests.
    assert report.signals == 3
    assert Signal.objects.filter(shadow=False).count() == 3


def test_every_cycle_of_the_cooldown_skips_and_none_trips_it_again(
    strategy, instruments, frozen_clock, next_bar
):
    _losing_trades(strategy, instruments[0], frozen_clock)
    trading_cycle_run()
    skipped = _skipped("loss_cooldown")

    for _ in range(3):
        next_bar()
        assert trading_cycle_run().skipped == {strategy.name: "loss_cooldown"}

    assert _skipped("loss_cooldown") == skipped + 3
    assert RiskTrip.objects.count() == 1
    assert not RiskDecision.objects.exists()


def test_the_strategy_trades_again_once_its_cooldown_is_over(
    strategy, instruments, frozen_clock, next_bar
):
    _losing_trades(strategy, instruments[0], frozen_clock)
    trading_cycle_run()
    cooldown_until = TradingStateSetting.objects.get(key=strategy.name).cooldown_until

    next_bar(minutes=int((cooldown_until - frozen_clock.now()).total_seconds() // 60) + 1)
    report = trading_cycle_run()

    assert report.skipped == {}
    assert RiskTrip.objects.count() == 1  # the old streak does not trip it again
    orders = Order.objects.exclude(client_order_id__startswith="losing-")
    assert orders.exists(), "fixture data must give at least one up-call"
    assert all(order.risk_decision.approved for order in orders)


def test_a_strategy_an_operator_halted_is_still_refused_by_the_guard(strategy, desk_operator):
    # Only the automatic cooldown is skipped; a halt set by a person stays visible as
    # rejected decisions with its reason, as before.
    risk_services.trading_state_set(
        actor=desk_operator, scope="strategy", key=strategy.name, state="HALTED",
        reason="desk review",
    )  # fmt: skip

    report = trading_cycle_run()

    assert report.skipped == {}
    rejected = RiskDecision.objects.filter(approved=False)
    assert rejected.exists(), "fixture data must give at least one up-call"
    assert all([r["code"] for r in d.reasons] == ["trading_halted"] for d in rejected)
