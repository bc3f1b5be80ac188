"""Production settings trade real money only when told to (subprocess: settings load once)."""

from __future__ import annotations

from tests.test_settings import GOOD_ENV, manage_in_production


def test_production_refuses_a_live_alpaca_url_without_the_explicit_switch():
    result = manage_in_production(
        "check", **GOOD_ENV, ALPACA_TRADING_BASE_URL="https://api.alpaca.markets"
    )

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "set ALPACA_LIVE_TRADING=true" in result.stderr


def test_production_accepts_a_live_alpaca_url_when_switched_on():
    live = {"ALPACA_TRADING_BASE_URL": "https://api.alpaca.markets", "ALPACA_LIVE_TRADING": "true"}

    result = manage_in_production("check", **GOOD_ENV, **live)

    assert result.returncode == 0, result.stderr
