from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import DatabaseError

from common.exceptions import ValidationFailed
from risk import guard, services
from risk.models import KillSwitch, KillSwitchEvent, RiskDecision, RiskLimit
from risk.selectors import kill_switch_get, limits_for

pytestmark = pytest.mark.django_db


def _intent(symbol: str = "AAPL", quantity: str = "10", price: str = "100") -> guard.OrderIntent:
    return guard.OrderIntent(
        client_order_id=f"s-{symbol}-{quantity}",
        strategy="s",
        symbol=symbol,
        side="buy",
        quantity=Decimal(quantity),
        reference_price=Decimal(price),
    )


# The guard now also needs the strategy's status and its model's (fail closed when unknown).
FLAT = guard.PortfolioSnapshot(
    position_quantity=Decimal(0),
    daily_pnl=Decimal(0),
    strategy_enabled=True,
    model_is_champion=True,
    gross_exposure=Decimal(0),
    net_exposure=Decimal(0),
    equity=Decimal(100000),
    buying_power=Decimal(100000),
)
MARKET = guard.MarketSnapshot(last_trusted_price=Decimal(100), price_age_s=Decimal(1))


def test_engaging_records_who_when_why_and_the_request(operator, frozen_clock):
    services.kill_switch_engage(actor=operator, reason="feed looks wrong", request_id="req-1")

    switch = KillSwitch.objects.get()
    assert switch.engaged
    assert switch.kill_switch_engaged_at == frozen_clock.now()
    assert switch.changed_by == operator
    event = KillSwitchEvent.objects.get()
    assert (event.action, event.actor, event.actor_name, event.reason, event.request_id) == (
        "engage",
        operator,
        "alice",
        "feed looks wrong",
        "req-1",
    )
    assert event.created_at == frozen_clock.now()


def test_releasing_clears_the_engaged_time_and_adds_an_event(operator, risk_officer):
    # Changed with the risk guard issue: release is a request approved by a risk officer.
    services.kill_switch_engage(actor=operator, reason="drill")
    request = services.kill_switch_release_request(actor=operator, reason="drill over")
    services.change_request_approve(
        actor=risk_officer, change_request_id=request.pk, reason="agreed"
    )

    switch = KillSwitch.objects.get()
    assert not switch.engaged
    assert switch.kill_switch_engaged_at is None
    assert list(KillSwitchEvent.objects.order_by("id").values_list("action", flat=True)) == [
        "engage",
        "release",
    ]


@pytest.mark.parametrize("reason", ["", "   "])
def test_the_kill_switch_does_not_move_without_a_reason(operator, reason):
    with pytest.raises(ValidationFailed, match="reason is required"):
        services.kill_switch_engage(actor=operator, reason=reason)

    assert not KillSwitch.objects.get().engaged
    assert not KillSwitchEvent.objects.exists()


def test_a_missing_kill_switch_row_reads_as_engaged():
    KillSwitch.objects.all().delete()

    assert kill_switch_get().engaged


def test_every_decision_is_stored_with_reasons_and_utilisation(frozen_clock):
    decision = services.order_intent_evaluate(
        intent=_intent(quantity="300", price="100"),
        portfolio=FLAT,
        market=MARKET,
        request_id="req-9",
    )

    decision.refresh_from_db()
    assert not decision.approved
    assert [r["code"] for r in decision.reasons] == ["max_order_notional"]
    assert decision.notional == Decimal("30000")
    assert decision.utilisation["max_order_notional"] == pytest.approx(30000 / 25000)
    assert decision.request_id == "req-9"
    assert decision.decided_at == frozen_clock.now()


def test_an_instrument_limit_overrides_the_global_one_field_by_field():
    RiskLimit.objects.create(symbol="AAPL", max_order_notional=Decimal("500"))

    own = limits_for(symbol="AAPL")
    other = limits_for(symbol="MSFT")

    assert own.max_order_notional == Decimal("500")
    assert own.max_daily_loss == Decimal("5000")  # inherited from the global row
    assert other.max_order_notional == Decimal("25000")
    assert not services.order_intent_evaluate(
        intent=_intent(), portfolio=FLAT, market=MARKET
    ).approved
    assert services.order_intent_evaluate(
        intent=_intent("MSFT"), portfolio=FLAT, market=MARKET
    ).approved


def test_without_global_limits_the_guard_fails_closed():
    RiskLimit.objects.all().delete()

    decision = services.order_intent_evaluate(intent=_intent(), portfolio=FLAT)

    assert not decision.approved
    assert [r["code"] for r in decision.reasons] == ["limits_not_configured"]


def test_an_unreadable_state_rejects_the_order_with_that_reason(monkeypatch):
    def unreadable(**kwargs: object) -> None:
        raise DatabaseError("connection lost")

    # The one stand-in: a database that fails mid-read cannot be produced on demand here.
    monkeypatch.setattr(services, "guard_state_get", unreadable)

    decision = services.order_intent_evaluate(intent=_intent(), portfolio=FLAT)

    assert not decision.approved
    assert decision.reasons[0]["code"] == "state_unavailable"
    assert "connection lost" in decision.reasons[0]["message"]
    assert RiskDecision.objects.filter(approved=False).count() == 1
