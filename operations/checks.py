"""System checks: ``manage.py check --deploy`` fails while the settings ask for a live broker
and a required readiness item does not pass (the same gate ``trading_startup`` applies)."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, Tags, register

from operations.readiness import live_trading_allowed, live_trading_requested

HINT = "Run `manage.py readiness` and fix each blocking item, or stay on the paper broker."


@register(Tags.security, deploy=True)
def live_broker_needs_readiness(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if not live_trading_requested():
        return []
    try:
        gate = live_trading_allowed(save=False)
    except Exception as exc:  # no database yet, or a broken check: not ready either way
        return [
            Error(
                f"Live broker requested but readiness could not be evaluated: {exc}",
                hint=HINT,
                id="operations.E002",
            )
        ]
    if gate.allowed:
        return []
    return [
        Error(
            "Live broker requested (EXECUTION_BROKER / ALPACA_LIVE_TRADING) but required "
            "readiness items do not pass: " + "; ".join(gate.blocking),
            hint=HINT,
            id="operations.E001",
        )
    ]
