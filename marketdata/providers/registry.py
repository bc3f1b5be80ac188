"""Which providers serve bars, from settings."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from django.conf import settings

from common.exceptions import ValidationFailed
from marketdata.models import Instrument
from marketdata.providers.base import BarProvider
from marketdata.providers.replay import ReplayProvider
from marketdata.providers.synthetic import SyntheticProvider, parse_faults

PROVIDER_NAMES = ("synthetic", "replay", "alpaca", "polygon")


@cache
def get_provider(name: str | None = None) -> BarProvider:
    """The configured provider (or ``name``), built once per process."""
    name = name or settings.MARKETDATA_PROVIDER
    timeout = settings.MARKETDATA_PROVIDER_TIMEOUT_S
    if name == "synthetic":
        faults = parse_faults(settings.MARKETDATA_SYNTHETIC_FAULTS)
        return SyntheticProvider(seed=settings.MARKETDATA_SYNTHETIC_SEED, faults=faults)
    if name == "replay":
        return ReplayProvider(directory=Path(settings.MARKETDATA_REPLAY_DIR))
    # The vendors' adapters load on use: alpaca-py (with pydantic) and the HTTP clients are
    # loaded only by processes configured for that vendor.
    if name == "alpaca":
        from marketdata.providers.alpaca import AlpacaProvider

        return AlpacaProvider(
            api_key=settings.ALPACA_API_KEY_ID,
            secret_key=settings.ALPACA_API_SECRET_KEY,
            base_url=settings.ALPACA_DATA_URL,
            feed=settings.ALPACA_DATA_FEED,
            timeout_s=timeout,
        )
    if name == "polygon":
        from marketdata.providers.polygon import PolygonProvider

        return PolygonProvider(
            api_key=settings.POLYGON_API_KEY, base_url=settings.POLYGON_BASE_URL, timeout_s=timeout
        )
    raise ValidationFailed(f"Unknown market data provider {name!r}; expected {PROVIDER_NAMES}")


def provider_names(instrument: Instrument) -> list[str]:
    """The instrument's providers in failover order (its own list, else the default)."""
    return list(instrument.providers or settings.MARKETDATA_PROVIDERS)
