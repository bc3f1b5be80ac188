"""Execution fills the guard's snapshots and cancels open orders when the kill switch trips."""

from __future__ import annotations

from decimal import Decimal

import pytest

from execution.models import Order
from execution.services import order_submit, trading_cycle_run
from marketdata.models import Bar
from risk import services as risk_services
from risk.models import RestrictedInstrument, RiskDecision, RiskTrip

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
