"""Which provider serves bars, from settings."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from django.conf import settings

from common.exceptions import ValidationFailed
from marketdata.providers.base import BarProvider
from marketdata.providers.replay import ReplayProvider
from marketdata.providers.synthetic import SyntheticProvider


@cache
def get_provider(name: str | None = None) -> BarProvider:
    """The configured provider (or ``name``), built once per process."""
    name = name or settings.MARKETDATA_PROVIDER
    if name == "synthetic":
        return SyntheticProvider(seed=settings.MARKETDATA_SYNTHETIC_SEED)
    if name == "replay":
        return ReplayProvider(directory=Path(settings.MARKETDATA_REPLAY_DIR))
    raise ValidationFailed(f"Unknown market data provider {name!r}")
