"""Polygon.io aggregates over HTTP, as documented.

``GET /v2/aggs/ticker/{ticker}/range/{multiplier}/{timespan}/{from}/{to}`` with ``from``/``to``
as Unix milliseconds or ``YYYY-MM-DD`` (``to`` inclusive), ``adjusted``, ``sort``, ``limit``;
auth ``Authorization: Bearer <key>`` (or ``apiKey=``); body ``{"ticker", "queryCount",
"resultsCount", "adjusted", "results": [{"v", "vw", "o", "c", "h", "l", "t", "n"}], "status":
"OK", "request_id", "count", "next_url"}`` where ``next_url`` is absolute and carries a
``cursor``.
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta

from harness.fakes.http import FakeProviderServer, Reply, json_reply

API_KEY = "test-polygon-key"
_SPANS = {("1", "minute"): "1m", ("5", "minute"): "5m", ("15", "minute"): "15m"}
_SPANS |= {("1", "hour"): "1h", ("1", "day"): "1d"}
_STEP = {"1m": timedelta(minutes=1), "5m": timedelta(minutes=5), "15m": timedelta(minutes=15)}
_STEP |= {"1h": timedelta(hours=1), "1d": timedelta(days=1)}


def our_symbol(ticker: str) -> str:
    """``X:BTCUSD`` back to ``BTC/USD``; stock tickers are unchanged."""
    if ticker.startswith("X:"):
        pair = ticker[2:]
        return f"{pair[:-3]}/{pair[-3:]}"
    return ticker


def _bound(text: str) -> datetime:
    if text.isdigit():
        return datetime.fromtimestamp(int(text) / 1000, tz=UTC)
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _error(status: int, message: str) -> Reply:
    body = {"status": "ERROR", "request_id": uuid.uuid4().hex, "error": message}
    return Reply(status, json.dumps(body).encode())


class FakePolygon(FakeProviderServer):
    """Polygon.io aggregates."""

    page_size = 50_000

    def request_symbols(self, path: str, query: dict) -> frozenset[str]:
        parts = path.strip("/").split("/")
        return frozenset([our_symbol(parts[3])]) if len(parts) > 3 else frozenset()

    def route(self, path: str, query: dict, headers: dict) -> Reply:
        key = headers.get("authorization", "").removeprefix("Bearer ")
        if key != API_KEY and query.get("apiKey", [""])[0] != API_KEY:
            return _error(401, "Unknown API Key")
        parts = path.strip("/").split("/")
        if len(parts) != 9 or parts[:3] != ["v2", "aggs", "ticker"] or parts[4] != "range":
            return _error(404, "Not found")
        ticker, multiplier, timespan, start, end = parts[3], parts[5], parts[6], parts[7], parts[8]
        timeframe = _SPANS.get((multiplier, timespan))
        if timeframe is None:
            return _error(400, "Unsupported range")
        limit = min(int(query.get("limit", ["5000"])[0]), self.page_size)
        if "cursor" in query:
            cursor = json.loads(base64.urlsafe_b64decode(query["cursor"][0]))
            limit = cursor["limit"]
        first, last = _bound(start), _bound(end)
        bars = self.bars(our_symbol(ticker), timeframe, first, last + _STEP[timeframe])
        return self._page(ticker, path, bars, limit, parts)

    def _page(self, ticker, path, bars, limit, parts) -> Reply:
        page, rest = bars[:limit], bars[limit:]
        body = {
            "ticker": ticker,
            "queryCount": len(page),
            "resultsCount": len(page),
            "adjusted": True,
            "results": [
                {
                    "v": float(bar.volume),
                    "vw": float((bar.high + bar.low + bar.close) / 3),
                    "o": float(bar.open),
                    "c": float(bar.close),
                    "h": float(bar.high),
                    "l": float(bar.low),
                    "t": int(bar.timestamp.timestamp() * 1000),
                    "n": 100,
                }
                for bar in page
            ],
            "status": "OK",
            "request_id": uuid.uuid4().hex,
            "count": len(page),
        }
        if rest:
            cursor = base64.urlsafe_b64encode(json.dumps({"limit": limit}).encode()).decode()
            next_from = int(rest[0].timestamp.timestamp() * 1000)
            next_path = "/".join([*parts[:7], str(next_from), parts[8]])
            body["next_url"] = f"{self.base_url}/{next_path}?cursor={cursor}"
        if not page:
            body.pop("results")  # Polygon omits results when there are none
        return json_reply(body)


if __name__ == "__main__":
    from harness.fakes.http import serve_forever

    serve_forever(FakePolygon)
