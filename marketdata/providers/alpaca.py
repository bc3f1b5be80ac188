"""Alpaca market data (stocks and crypto bars) through the official SDK, alpaca-py.

Stocks come from ``/v2/stocks/bars`` (feed ``iex`` on the free plan, ``sip`` with a
subscription), crypto (symbols with a slash, ``BTC/USD``) from ``/v1beta3/crypto/us/bars``.
The base URL is the SDK's ``url_override``, so staging points at Alpaca and tests at a local
server speaking the same wire format.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, SupportsFloat

import requests
from alpaca.common.exceptions import APIError
from alpaca.common.rest import RESTClient
from alpaca.data.enums import DataFeed
from alpaca.data.historical import CryptoHistoricalDataClient, StockHistoricalDataClient
from alpaca.data.requests import CryptoBarsRequest, StockBarsRequest
from alpaca.data.timeframe import TimeFrame, TimeFrameUnit

from common.exceptions import ProviderError
from marketdata.providers.base import FetchResult, RawBar, RetryableProviderError, RowRejection

_TIMEFRAMES = {
    "1m": TimeFrame(1, TimeFrameUnit.Minute),
    "5m": TimeFrame(5, TimeFrameUnit.Minute),
    "15m": TimeFrame(15, TimeFrameUnit.Minute),
    "1h": TimeFrame(1, TimeFrameUnit.Hour),
    "1d": TimeFrame(1, TimeFrameUnit.Day),
}
RETRYABLE_STATUS = {408, 429, 500, 502, 503, 504}


def _number(value: SupportsFloat | str) -> Decimal:
    return Decimal(repr(float(value)))  # JSON floats: their shortest repr, not binary noise


def parse_bar(symbol: str, row: dict) -> RawBar:
    """One Alpaca bar object (``t`` RFC 3339, ``o h l c v``) as a RawBar."""
    timestamp = datetime.fromisoformat(str(row["t"]).replace("Z", "+00:00")).astimezone(UTC)
    return RawBar(
        symbol=symbol,
        timestamp=timestamp,
        open=_number(row["o"]),
        high=_number(row["h"]),
        low=_number(row["l"]),
        close=_number(row["c"]),
        volume=_number(row["v"]),
    )


def _raw(payload: object) -> dict[str, Any]:
    """The JSON body a ``raw_data`` client returns (its typing also allows the model)."""
    if not isinstance(payload, dict):
        raise ProviderError(f"alpaca returned {type(payload).__name__}, not JSON")
    return payload


def _client_without_own_retries(client: RESTClient, timeout_s: float) -> None:
    """Every call gets our timeout, and the SDK stops retrying 429s on its own.

    alpaca-py sends requests without a timeout and sleeps 3 s between its own 429 retries;
    both would defeat the per-call timeout, tenacity's backoff and the circuit breaker, so
    the session gets a default timeout and the SDK's retry budget is set to zero.
    """
    session = client._session
    session.request = functools.partial(session.request, timeout=timeout_s)  # type: ignore[method-assign]
    client._retry = 0


class AlpacaProvider:
    """Bars from Alpaca market data; keys ALPACA_API_KEY_ID / ALPACA_API_SECRET_KEY."""

    name = "alpaca"

    def __init__(
        self,
        *,
        api_key: str,
        secret_key: str,
        base_url: str | None = None,
        feed: str = "iex",
        timeout_s: float = 5.0,
    ) -> None:
        if not (api_key and secret_key):
            raise ProviderError("alpaca needs ALPACA_API_KEY_ID and ALPACA_API_SECRET_KEY")
        self.feed = DataFeed(feed)
        url = base_url or None
        # Raw dicts: our own parser decides what a bar is and refuses what is malformed.
        self.stocks = StockHistoricalDataClient(
            api_key, secret_key, raw_data=True, url_override=url
        )
        self.crypto = CryptoHistoricalDataClient(
            api_key, secret_key, raw_data=True, url_override=url
        )
        for client in (self.stocks, self.crypto):
            _client_without_own_retries(client, timeout_s)

    def _request(
        self, symbol: str, timeframe: str, start: datetime, end: datetime
    ) -> dict[str, Any]:
        frame = _TIMEFRAMES[timeframe]
        if "/" in symbol:
            crypto = CryptoBarsRequest(
                symbol_or_symbols=symbol, timeframe=frame, start=start, end=end
            )
            return _raw(self.crypto.get_crypto_bars(crypto))
        stocks = StockBarsRequest(
            symbol_or_symbols=symbol, timeframe=frame, start=start, end=end, feed=self.feed
        )
        return _raw(self.stocks.get_stock_bars(stocks))

    def fetch_bars(
        self, *, symbol: str, timeframe: str, start: datetime, end: datetime
    ) -> FetchResult:
        try:
            raw = self._request(symbol, timeframe, start, end)
        except APIError as exc:
            status = exc.status_code
            if status in RETRYABLE_STATUS:
                response = exc.response
                retry_after = response.headers.get("Retry-After") if response is not None else None
                raise RetryableProviderError(
                    f"alpaca HTTP {status}",
                    retry_after=float(retry_after) if retry_after else None,
                ) from exc
            raise ProviderError(f"alpaca HTTP {status}: {exc}") from exc
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise RetryableProviderError(f"alpaca unreachable: {type(exc).__name__}") from exc
        except (ValueError, AttributeError) as exc:  # truncated or malformed JSON body
            raise RetryableProviderError(f"alpaca sent an unreadable body: {exc}") from exc
        rows = raw.get(symbol, []) if isinstance(raw, dict) else []
        return self._parse(symbol, rows, start, end)

    def _parse(self, symbol: str, rows: list, start: datetime, end: datetime) -> FetchResult:
        result = FetchResult()
        for row in rows:
            try:
                bar = parse_bar(symbol, row)
            except (KeyError, TypeError, ValueError) as exc:
                result.rejections.append(
                    RowRejection(symbol, str(row)[:200], f"malformed_row: {exc!r}")
                )
                continue
            if start <= bar.timestamp < end:  # Alpaca's end is inclusive; ours is exclusive
                result.bars.append(bar)
        return result
