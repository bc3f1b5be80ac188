"""Polygon.io aggregates: the second, independent provider (failover and cross-check).

Why Polygon: its aggregates endpoint serves minute bars for US stocks *and* crypto with one
documented shape (``/v2/aggs/ticker/{ticker}/range/{multiplier}/{timespan}/{from}/{to}``,
millisecond bounds, ``next_url`` cursor pagination), it is built from its own consolidated
feed (so a disagreement with Alpaca's IEX feed is a real signal), and it authenticates with a
bearer header, so keys never appear in URLs or logs.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import SupportsFloat

import httpx

from common.exceptions import ProviderError
from marketdata.providers.base import FetchResult, RawBar, RetryableProviderError, RowRejection

_SPANS = {"1m": (1, "minute"), "5m": (5, "minute"), "15m": (15, "minute"), "1h": (1, "hour")}
_SPANS["1d"] = (1, "day")
RETRYABLE_STATUS = {408, 429, 500, 502, 503, 504}
MAX_PAGES = 50  # a runaway cursor must not keep one call busy forever


def polygon_ticker(symbol: str) -> str:
    """Our symbols to Polygon's: crypto pairs are ``X:BTCUSD``; stocks are unchanged."""
    return f"X:{symbol.replace('/', '')}" if "/" in symbol else symbol


def _number(value: SupportsFloat | str) -> Decimal:
    return Decimal(repr(float(value)))


def parse_result(symbol: str, row: dict) -> RawBar:
    """One aggregate (``t`` Unix ms of the window start, ``o h l c v``) as a RawBar."""
    return RawBar(
        symbol=symbol,
        timestamp=datetime.fromtimestamp(int(row["t"]) / 1000, tz=UTC),
        open=_number(row["o"]),
        high=_number(row["h"]),
        low=_number(row["l"]),
        close=_number(row["c"]),
        volume=_number(row["v"]),
    )


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class PolygonProvider:
    """Bars from Polygon aggregates over httpx, with a per-call timeout."""

    name = "polygon"

    def __init__(
        self, *, api_key: str, base_url: str = "https://api.polygon.io", timeout_s: float = 5.0
    ) -> None:
        if not api_key:
            raise ProviderError("polygon needs POLYGON_API_KEY")
        self.client = httpx.Client(
            base_url=base_url,
            timeout=timeout_s,
            headers={"Authorization": f"Bearer {api_key}"},
        )

    def _get(self, url: str, params: dict | None) -> dict:
        try:
            response = self.client.get(url, params=params)
        except httpx.TimeoutException as exc:
            raise RetryableProviderError(f"polygon timed out: {type(exc).__name__}") from exc
        except httpx.TransportError as exc:
            raise RetryableProviderError(f"polygon unreachable: {type(exc).__name__}") from exc
        if response.status_code in RETRYABLE_STATUS:
            retry_after = response.headers.get("Retry-After")
            raise RetryableProviderError(
                f"polygon HTTP {response.status_code}",
                retry_after=float(retry_after) if retry_after else None,
            )
        if response.status_code >= 400:
            raise ProviderError(f"polygon HTTP {response.status_code}: {response.text[:200]}")
        try:
            body = response.json()
        except ValueError as exc:
            raise RetryableProviderError(f"polygon sent an unreadable body: {exc}") from exc
        if not isinstance(body, dict) or body.get("status") not in ("OK", "DELAYED"):
            raise RetryableProviderError(f"polygon answered {str(body)[:200]}")
        return body

    def fetch_bars(
        self, *, symbol: str, timeframe: str, start: datetime, end: datetime
    ) -> FetchResult:
        multiplier, timespan = _SPANS[timeframe]
        ticker = polygon_ticker(symbol)
        url: str | None = (
            f"/v2/aggs/ticker/{ticker}/range/{multiplier}/{timespan}/{_ms(start)}/{_ms(end)}"
        )
        params: dict | None = {"adjusted": "true", "sort": "asc", "limit": 50000}
        result = FetchResult()
        for _ in range(MAX_PAGES):
            if url is None:
                break
            body = self._get(url, params)
            self._parse(symbol, body.get("results") or [], start, end, result)
            # next_url is absolute and carries the cursor and the original query.
            url, params = body.get("next_url"), None
        return result

    @staticmethod
    def _parse(
        symbol: str, rows: list, start: datetime, end: datetime, result: FetchResult
    ) -> None:
        for row in rows:
            try:
                bar = parse_result(symbol, row)
            except (KeyError, TypeError, ValueError) as exc:
                result.rejections.append(
                    RowRejection(symbol, str(row)[:200], f"malformed_row: {exc!r}")
                )
                continue
            if start <= bar.timestamp < end:  # Polygon's ``to`` is inclusive
                result.bars.append(bar)
