"""Fake provider servers and fast resilience settings for the market data tests."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from harness.fakes import alpaca as fake_alpaca
from harness.fakes import polygon as fake_polygon
from marketdata.providers.alpaca import AlpacaProvider
from marketdata.providers.polygon import PolygonProvider

TIMEOUT_S = 1.0  # a healthy fake answers well within it even on a loaded 2-core machine


@pytest.fixture(autouse=True)
def clean_cache():
    """Breaker, serving-provider and newest-bar state live in the cache: start each test clean."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def fast_resilience(settings):
    settings.MARKETDATA_RETRY_ATTEMPTS = 3
    settings.MARKETDATA_RETRY_INITIAL_WAIT_S = 0.01
    settings.MARKETDATA_RETRY_MAX_WAIT_S = 0.05
    settings.MARKETDATA_BREAKER_FAIL_MAX = 3
    settings.MARKETDATA_BREAKER_WINDOW_S = 300
    settings.MARKETDATA_BREAKER_RESET_S = 60
    settings.MARKETDATA_BREAKER_SUCCESS_THRESHOLD = 2


@pytest.fixture
def alpaca_server():
    with fake_alpaca.FakeAlpaca() as server:
        yield server


@pytest.fixture
def polygon_server():
    with fake_polygon.FakePolygon() as server:
        yield server


@pytest.fixture
def alpaca(alpaca_server) -> AlpacaProvider:
    return AlpacaProvider(
        api_key=fake_alpaca.KEY_ID,
        secret_key=fake_alpaca.SECRET,
        base_url=alpaca_server.base_url,
        timeout_s=TIMEOUT_S,
    )


@pytest.fixture
def polygon(polygon_server) -> PolygonProvider:
    return PolygonProvider(
        api_key=fake_polygon.API_KEY, base_url=polygon_server.base_url, timeout_s=TIMEOUT_S
    )
