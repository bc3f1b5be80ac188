"""Automatic trips: daily loss engages the kill switch, drawdown reduces (or halts), a losing
streak cools a strategy down; each is recorded and counted."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from prometheus_client import REGISTRY

from risk import guard, selectors, services
from risk.models import KillSwitch, KillSwitchEvent, RiskLimit, RiskTrip, TradingStateSetting
from tests.execution.factories import StrategyFactory

pytestmark = pytest.mark.django_db


def _book(**changes: object) -> guard.PortfolioSnapshot:
    values = {
        "position_quantity": Decimal(0),
        "daily_pnl": Decimal(0),
        "gross_exposure": Decimal(0),
        "net_exposure": Decimal(0),
        "equity": Decimal(100000),
        "buying_power": Decimal(100000),
        "strategy_enabled": True,
        "model_is_champion": True,
        **changes,
    }
    return guard.PortfolioSnapshot(**values)


def _intent(side: str = "buy", quantity: str = "1", n: int = 0) -> guard.OrderIntent:
    return guard.OrderIntent(f"s-{n}", "s", "AAPL", side, Decimal(quantity), Decimal(100))


MARKET = guard.MarketSnapshot(Decimal(100), Decimal(1))


def _trips(limit: str, action: str) -> float:
    return (
        REGISTRY.get_sample_value("tradingops_risk_trips_total", {"limit": limit, "action": action})
        or 0.0
    )


def test_daily_loss_at_its_limit_engages_the_kill_switch_and_records_the_trip(frozen_clock):
    counted = _trips("max_daily_loss", "kill_switch")

    services.portfolio_observe(portfolio=_book(daily_pnl=Decimal(-5000)))

    switch = KillSwitch.objects.get()
    assert switch.engaged and switch.reason.startswith("auto-trip: max_daily_loss")
    trip = RiskTrip.objects.get()
    assert (trip.limit, trip.value, trip.threshold, trip.action, trip.tripped_at) == (
        "max_daily_loss",
        Decimal(5000),
        Decimal(5000),
        "kill_switch",
        frozen_clock.now(),
    )
    assert KillSwitchEvent.objects.get().actor_name == "system"
    assert _trips("max_daily_loss", "kill_switch") == counted + 1


def test_a_loss_just_below_the_limit_trips_nothing():
    services.portfolio_observe(portfolio=_book(daily_pnl=Decimal("-4999.99")))

    assert not KillSwitch.objects.get().engaged
    assert not RiskTrip.objects.exists()


def test_the_trip_fires_once_not_on_every_later_check():
    services.portfolio_observe(portfolio=_book(daily_pnl=Decimal(-6000)))
    services.portfolio_observe(portfolio=_book(daily_pnl=Decimal(-7000)))

    assert RiskTrip.objects.count() == 1


def test_an_order_decision_on_a_losing_book_trips_the_kill_switch():
    decision = services.order_intent_evaluate(
        intent=_intent(), portfolio=_book(daily_pnl=Decimal(-5000)), market=MARKET
    )

    assert not decision.approved
    assert "max_daily_loss" in [r["code"] for r in decision.reasons]
    assert KillSwitch.objects.get().engaged
    later = services.order_intent_evaluate(intent=_intent(n=1), portfolio=_book(), market=MARKET)
    assert [r["code"] for r in later.reasons] == ["kill_switch_engaged"]


def test_drawdown_beyond_its_limit_moves_the_desk_to_reducing():
    services.portfolio_observe(portfolio=_book(equity=Decimal(110000)))  # the day's peak

    services.portfolio_observe(portfolio=_book(equity=Decimal(102500)))

    assert TradingStateSetting.objects.get(scope="global").state == "REDUCING"
    assert RiskTrip.objects.get().action == "reducing"
    grow = services.order_intent_evaluate(
        intent=_intent(), portfolio=_book(equity=Decimal(102500)), market=MARKET
    )
    shrink = services.order_intent_evaluate(
        intent=_intent("sell", n=1),
        portfolio=_book(equity=Decimal(102500), position_quantity=Decimal(5)),
        market=MARKET,
    )
    assert "trading_reducing" in [r["code"] for r in grow.reasons]
    assert shrink.approved, shrink.reasons


def test_drawdown_can_be_configured_to_halt():
    RiskLimit.objects.filter(strategy="", symbol="").update(drawdown_halts=True)
    services.portfolio_observe(portfolio=_book(equity=Decimal(110000)))

    services.portfolio_observe(portfolio=_book(equity=Decimal(100000)))

    assert TradingStateSetting.objects.get(scope="global").state == "HALTED"


def _losses(frozen_clock, n: int) -> list:
    start = frozen_clock.now() - timedelta(minutes=n)
    return [(start + timedelta(minutes=i), Decimal(-10)) for i in range(n)]


def test_a_losing_streak_cools_the_strategy_down_then_it_trades_again(frozen_clock):
    streak = _losses(frozen_clock, 5)
    assert services.strategy_trades_observe(strategy="s", closed_trades=streak[1:]) is None

    trip = services.strategy_trades_observe(strategy="s", closed_trades=streak)

    assert (trip.limit, trip.key, trip.action, trip.value) == (
        "max_consecutive_losses",
        "s",
        "cooldown",
        Decimal(5),
    )
    during = services.order_intent_evaluate(intent=_intent(), portfolio=_book(), market=MARKET)
    assert [r["code"] for r in during.reasons] == ["trading_halted"]
    frozen_clock.advance(timedelta(minutes=30))
    after = services.order_intent_evaluate(intent=_intent(n=1), portfolio=_book(), market=MARKET)
    assert after.approved, after.reasons
    # The same streak does not trip again once the cooldown is over.
    assert services.strategy_trades_observe(strategy="s", closed_trades=streak) is None


def test_the_cooldown_reads_as_in_force_for_its_strategy_until_it_ends(frozen_clock):
    def until(strategy: str = "s"):
        return selectors.strategy_cooldown_until(strategy=strategy, now=frozen_clock.now())

    assert until() is None
    services.strategy_trades_observe(strategy="s", closed_trades=_losses(frozen_clock, 5))

    assert until() == TradingStateSetting.objects.get(scope="strategy", key="s").cooldown_until
    assert until() > frozen_clock.now()
    assert until("other") is None
    frozen_clock.advance(timedelta(minutes=30))
    assert until() is None


def test_a_halt_without_a_cooldown_is_not_read_as_a_cooldown(frozen_clock):
    StrategyFactory(name="s")
    services.trading_state_halt(
        scope="strategy", key="s", reason="reconciliation break", actor_name="reconciliation",
        request_id="",
    )  # fmt: skip

    assert selectors.strategy_cooldown_until(strategy="s", now=frozen_clock.now()) is None
    halted = services.order_intent_evaluate(intent=_intent(), portfolio=_book(), market=MARKET)
    assert [r["code"] for r in halted.reasons] == ["trading_halted"]


def test_a_winning_trade_breaks_the_streak(frozen_clock):
    trades = [*_losses(frozen_clock, 4), (frozen_clock.now(), Decimal(1))]

    assert services.strategy_trades_observe(strategy="s", closed_trades=trades) is None


def test_the_warning_level_is_counted_before_the_hard_limit():
    def warnings() -> float:
        return (
            REGISTRY.get_sample_value("tradingops_risk_warnings_total", {"limit": "max_daily_loss"})
            or 0.0
        )

    before = warnings()

    services.portfolio_observe(portfolio=_book(daily_pnl=Decimal(-4000)))  # 80 % of 5,000

    assert warnings() == before + 1
    assert not KillSwitch.objects.get().engaged
