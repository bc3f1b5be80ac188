"""In admin, every form field taking a number (strategy notional and confidence,
instrument lot size, an API token's lifetime) refuses what its column or service cannot take
with an error on that field, on both databases; never a 500 and never a rounded value."""

from __future__ import annotations

from decimal import Decimal

import pytest

from access.models import ApiToken
from execution.models import Strategy
from marketdata.models import Instrument
from tests.execution.factories import StrategyFactory
from tests.marketdata.factories import InstrumentFactory

pytestmark = pytest.mark.django_db
HUGE = "1" + "0" * 30
NOT_NUMBERS = ["NaN", "inf", "-Infinity", "1e999", "abc"]


@pytest.fixture
def admin_user(client, role_user):
    user = role_user("admin")
    client.force_login(user)
    return user


@pytest.fixture
def superuser(client, django_user_model):
    # Strategies and instruments are configured by a superuser (no role group holds them).
    user = django_user_model.objects.create_superuser("root", "", "unused-password")
    client.force_login(user)
    return user


def _strategy_form(strategy: Strategy, **changes: str) -> dict:
    return {
        "name": strategy.name,
        "registered_model": strategy.registered_model_id,
        "notional_per_trade": "10000",
        "min_confidence": "0.5",
        "enabled": "on",
        "instruments": [i.pk for i in strategy.instruments.all()],
        **changes,
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [
        *[("notional_per_trade", v) for v in [*NOT_NUMBERS, "0", "-5", HUGE, "0.0000001"]],
        # 20 significant digits: SQLite would keep 15 of them.
        ("notional_per_trade", "12345678901234.123456"),
        *[("min_confidence", v) for v in [*NOT_NUMBERS, "0.4", "1.01", HUGE]],
        ("min_confidence", "0.12345678901234567"),
    ],
)
def test_a_strategy_number_its_column_cannot_hold_is_an_error_on_that_field(
    client, superuser, field, value
):
    strategy = StrategyFactory(notional_per_trade=Decimal("10000"), min_confidence=0.5)

    response = client.post(
        f"/admin/execution/strategy/{strategy.pk}/change/",
        _strategy_form(strategy, **{field: value}),
    )

    assert response.status_code == 200  # the form again, with its errors
    errors = response.context["adminform"].form.errors
    assert field in errors, errors
    assert field in errors[field][0]
    strategy.refresh_from_db()
    assert (strategy.notional_per_trade, strategy.min_confidence) == (Decimal("10000"), 0.5)


def test_a_strategy_number_in_range_is_stored_exactly(client, superuser):
    strategy = StrategyFactory(instruments=[InstrumentFactory(symbol="AAPL")])

    response = client.post(
        f"/admin/execution/strategy/{strategy.pk}/change/",
        _strategy_form(strategy, notional_per_trade="123456789.123456", min_confidence="0.75"),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    strategy.refresh_from_db()
    assert strategy.notional_per_trade == Decimal("123456789.123456")
    assert strategy.min_confidence == 0.75


def _instrument_form(instrument: Instrument, lot_size: str) -> dict:
    return {
        "symbol": instrument.symbol,
        "name": instrument.name,
        "asset_class": instrument.asset_class,
        "exchange": instrument.exchange,
        "exchange_timezone": instrument.exchange_timezone,
        "lot_size": lot_size,
        "active": "on",
        "providers": "[]",
        "calendar": instrument.calendar,
    }


@pytest.mark.parametrize(
    "value", [*NOT_NUMBERS, "0", "-1", HUGE, "0.0000001", "1234567890123.1234"]
)
def test_an_instrument_lot_size_its_column_cannot_hold_is_an_error_on_lot_size(
    client, superuser, value
):
    instrument = InstrumentFactory(symbol="AAPL")

    response = client.post(
        f"/admin/marketdata/instrument/{instrument.pk}/change/",
        _instrument_form(instrument, value),
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "lot_size" in errors["lot_size"][0], errors
    instrument.refresh_from_db()
    assert instrument.lot_size == Decimal(1)


def test_an_instrument_lot_size_in_range_is_stored_exactly(client, superuser):
    instrument = InstrumentFactory(symbol="AAPL")

    response = client.post(
        f"/admin/marketdata/instrument/{instrument.pk}/change/",
        _instrument_form(instrument, "0.000001"),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    instrument.refresh_from_db()
    assert instrument.lot_size == Decimal("0.000001")


@pytest.mark.parametrize("days", ["0", "366", HUGE, "1.5", "NaN", "1e999"])
def test_an_api_token_lifetime_past_the_services_bound_is_an_error_on_days(
    client, admin_user, operator, days
):
    response = client.post(
        "/admin/access/apitoken/add/",
        {"user": operator.pk, "name": "grafana", "scope": "read", "days": days},
    )

    assert response.status_code == 200
    assert "days" in response.context["adminform"].form.errors
    assert not ApiToken.objects.exists()
