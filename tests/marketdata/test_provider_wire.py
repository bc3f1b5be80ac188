"""The adapters against local servers speaking each provider's documented wire format."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
import requests

from common.exceptions import ProviderError
from marketdata.providers.alpaca import AlpacaProvider, parse_bar
from marketdata.providers.base import RetryableProviderError
from marketdata.providers.polygon import PolygonProvider, parse_result
from marketdata.providers.synthetic import SyntheticProvider

START = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
END = START + timedelta(minutes=30)

# The documented examples (Alpaca "Historical bars", Polygon "Aggregates (Bars)").
ALPACA_EXAMPLE = {
    "bars": {
        "AAPL": [
            {
                "t": "2022-01-03T09:00:00Z",
                "o": 178.26,
                "h": 178.26,
                "l": 178.21,
                "c": 178.21,
                "v": 1118,
                "n": 65,
                "vw": 178.235733,
            }
        ]
    },
    "next_page_token": "QUFQTHxNfDIwMjItMDEtMDNUMDk6MDA6MDAuMDAwMDAwMDAwWg==",
}
POLYGON_EXAMPLE = {
    "ticker": "AAPL",
    "queryCount": 2,
    "resultsCount": 2,
    "adjusted": True,
    "results": [
        {
            "v": 70790813,
            "vw": 131.6292,
            "o": 130.465,
            "c": 130.15,
            "h": 133.41,
            "l": 129.89,
            "t": 1673240400000,
            "n": 645365,
        }
    ],
    "status": "OK",
    "request_id": "6a7e466379af0a71039d60cc78e72282",
    "count": 2,
    "next_url": "https://api.polygon.io/v2/aggs/ticker/AAPL/range/1/day/1673326800000/2023-01-09?cursor=bGltaXQ9MiZzb3J0PWFzYw",
}


def shape(value):
    """Keys and JSON types, recursively: what a client depends on."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def expected_bars(symbol: str) -> list:
    return (
        SyntheticProvider(seed=7)
        .fetch_bars(symbol=symbol, timeframe="1m", start=START, end=END)
        .bars
    )


# --- Alpaca --------------------------------------------------------------------------------


def test_the_fake_alpaca_body_has_the_documented_shape(alpaca_server):
    alpaca_server.page_size = 10
    query = {
        "symbols": "AAPL",
        "timeframe": "1Min",
        "start": START.isoformat(),
        "end": END.isoformat(),
        "limit": 10,
    }
    headers = {"APCA-API-KEY-ID": "test-key-id", "APCA-API-SECRET-KEY": "test-secret"}
    body = requests.get(
        f"{alpaca_server.base_url}/v2/stocks/bars", params=query, headers=headers, timeout=2
    ).json()

    assert shape(body) == shape(ALPACA_EXAMPLE)


def test_alpaca_sends_the_documented_path_query_and_auth_headers(alpaca, alpaca_server):
    alpaca.fetch_bars(symbol="AAPL", timeframe="1m", start=START, end=END)

    request = alpaca_server.requests[0]
    assert request.path == "/v2/stocks/bars"
    assert request.query["symbols"] == ["AAPL"]
    assert request.query["timeframe"] == ["1Min"]
    assert request.query["feed"] == ["iex"]
    assert datetime.fromisoformat(request.query["start"][0]) == START
    assert request.headers["apca-api-key-id"] == "test-key-id"
    assert request.headers["apca-api-secret-key"] == "test-secret"


def test_alpaca_follows_next_page_token_and_returns_the_window_end_exclusive(alpaca, alpaca_server):
    alpaca_server.page_size = 7

    result = alpaca.fetch_bars(symbol="AAPL", timeframe="1m", start=START, end=END)

    assert result.bars == expected_bars("AAPL")
    assert len(alpaca_server.requests) == 5  # 31 bars (end inclusive on the wire) / 7 a page
    assert "page_token" in alpaca_server.requests[1].query


def test_alpaca_crypto_symbols_use_the_crypto_endpoint(alpaca, alpaca_server):
    result = alpaca.fetch_bars(symbol="BTC/USD", timeframe="1m", start=START, end=END)

    assert alpaca_server.requests[0].path == "/v1beta3/crypto/us/bars"
    assert result.bars == expected_bars("BTC/USD")


def test_alpaca_parses_the_documented_example_bar():
    bar = parse_bar("AAPL", ALPACA_EXAMPLE["bars"]["AAPL"][0])

    assert bar.timestamp == datetime(2022, 1, 3, 9, 0, tzinfo=UTC)
    assert (bar.open, bar.close, bar.volume) == (Decimal("178.26"), Decimal("178.21"), 1118)


def test_alpaca_with_wrong_keys_fails_without_being_retryable(alpaca_server):
    provider = AlpacaProvider(api_key="x", secret_key="y", base_url=alpaca_server.base_url)

    with pytest.raises(ProviderError) as caught:
        provider.fetch_bars(symbol="AAPL", timeframe="1m", start=START, end=END)

    assert not isinstance(caught.value, RetryableProviderError)
    assert "401" in str(caught.value)


@pytest.mark.parametrize("mode", ["5xx", "429", "timeout", "truncated", "malformed"])
def test_alpaca_faults_surface_as_retryable_errors(alpaca, alpaca_server, mode):
    alpaca_server.set_fault(mode, count=1, delay_s=2.0, retry_after_s=2)

    with pytest.raises(RetryableProviderError) as caught:
        alpaca.fetch_bars(symbol="AAPL", timeframe="1m", start=START, end=END)

    assert caught.value.retry_after == (2.0 if mode == "429" else None)


def test_alpaca_serves_cleanly_after_the_fault_clears(alpaca, alpaca_server):
    alpaca_server.set_fault("5xx", count=1)
    with pytest.raises(RetryableProviderError):
        alpaca.fetch_bars(symbol="AAPL", timeframe="1m", start=START, end=END)

    result = alpaca.fetch_bars(symbol="AAPL", timeframe="1m", start=START, end=END)

    assert result.bars == expected_bars("AAPL")


# --- Polygon -------------------------------------------------------------------------------


def test_the_fake_polygon_body_has_the_documented_shape(polygon_server):
    polygon_server.page_size = 5
    url = f"{polygon_server.base_url}/v2/aggs/ticker/AAPL/range/1/minute/2026-03-02/2026-03-03"
    body = httpx.get(url, headers={"Authorization": "Bearer test-polygon-key"}).json()

    assert shape(body) == shape(POLYGON_EXAMPLE)


def test_polygon_sends_the_documented_path_and_bearer_auth(polygon, polygon_server):
    polygon.fetch_bars(symbol="AAPL", timeframe="1m", start=START, end=END)

    request = polygon_server.requests[0]
    start_ms, end_ms = int(START.timestamp() * 1000), int(END.timestamp() * 1000)
    assert request.path == f"/v2/aggs/ticker/AAPL/range/1/minute/{start_ms}/{end_ms}"
    assert request.query == {"adjusted": ["true"], "sort": ["asc"], "limit": ["50000"]}
    assert request.headers["authorization"] == "Bearer test-polygon-key"


def test_polygon_follows_next_url_until_the_last_page(polygon, polygon_server):
    polygon_server.page_size = 8

    result = polygon.fetch_bars(symbol="AAPL", timeframe="1m", start=START, end=END)

    assert result.bars == expected_bars("AAPL")
    assert len(polygon_server.requests) == 4
    cursor = polygon_server.requests[1].query["cursor"][0]
    assert json.loads(base64.urlsafe_b64decode(cursor)) == {"limit": 8}


def test_polygon_crypto_pairs_use_the_x_ticker(polygon, polygon_server):
    result = polygon.fetch_bars(symbol="BTC/USD", timeframe="1m", start=START, end=END)

    assert polygon_server.requests[0].path.startswith("/v2/aggs/ticker/X:BTCUSD/range/1/minute/")
    assert result.bars == expected_bars("BTC/USD")


def test_polygon_parses_the_documented_example_aggregate():
    bar = parse_result("AAPL", POLYGON_EXAMPLE["results"][0])

    assert bar.timestamp == datetime(2023, 1, 9, 5, 0, tzinfo=UTC)
    assert (bar.open, bar.high, bar.low, bar.close) == (
        Decimal("130.465"),
        Decimal("133.41"),
        Decimal("129.89"),
        Decimal("130.15"),
    )


def test_polygon_with_a_wrong_key_fails_without_being_retryable(polygon_server):
    provider = PolygonProvider(api_key="nope", base_url=polygon_server.base_url)

    with pytest.raises(ProviderError) as caught:
        provider.fetch_bars(symbol="AAPL", timeframe="1m", start=START, end=END)

    assert not isinstance(caught.value, RetryableProviderError)


@pytest.mark.parametrize("mode", ["5xx", "429", "timeout", "truncated", "malformed"])
def test_polygon_faults_surface_as_retryable_errors(polygon, polygon_server, mode):
    polygon_server.set_fault(mode, count=1, delay_s=2.0, retry_after_s=3)

    with pytest.raises(RetryableProviderError) as caught:
        polygon.fetch_bars(symbol="AAPL", timeframe="1m", start=START, end=END)

    assert caught.value.retry_after == (3.0 if mode == "429" else None)


def test_a_slow_answer_within_the_timeout_is_served(polygon, polygon_server):
    polygon_server.set_fault("slow", count=1, delay_s=0.05)

    result = polygon.fetch_bars(symbol="AAPL", timeframe="1m", start=START, end=END)

    assert result.bars == expected_bars("AAPL")


def test_a_stale_feed_repeats_its_last_bar_instead_of_new_ones(polygon, polygon_server):
    frozen_at = START + timedelta(minutes=10)
    polygon_server.set_fault("stale", stale_after=frozen_at)

    later = polygon.fetch_bars(symbol="AAPL", timeframe="1m", start=frozen_at, end=END)
    raw = polygon_server.bars("AAPL", "1m", frozen_at, END)

    assert later.bars == []  # the repeated bar is older than the window asked for
    assert [bar.timestamp for bar in raw] == [frozen_at - timedelta(minutes=1)]


def test_a_game_day_switches_faults_over_http_and_recovers(polygon, polygon_server):
    control = f"{polygon_server.base_url}/_control"

    switched = httpx.post(f"{control}/fault", params={"mode": "5xx", "count": 2})
    with pytest.raises(RetryableProviderError):
        polygon.fetch_bars(symbol="AAPL", timeframe="1m", start=START, end=END)
    httpx.post(f"{control}/recover")
    result = polygon.fetch_bars(symbol="AAPL", timeframe="1m", start=START, end=END)

    assert switched.json() == {"fault": "5xx", "count": 2}
    assert result.bars == expected_bars("AAPL")
