"""Alpaca market data v2 over HTTP, as documented: the wire format alpaca-py talks to.

``GET /v2/stocks/bars`` and ``GET /v1beta3/crypto/us/bars`` with ``symbols``, ``timeframe``
(``1Min``, ``5Min``, ``15Min``, ``1Hour``, ``1Day``), RFC 3339 ``start``/``end`` (end
inclusive), ``limit``, ``feed`` (stocks), ``page_token``; auth headers ``APCA-API-KEY-ID`` and
``APCA-API-SECRET-KEY``; body ``{"bars": {"AAPL": [{"t", "o", "h", "l", "c", "v", "n",
"vw"}]}, "next_page_token": ...}``.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

from harness.fakes.http import FakeProviderServer, Reply, error_reply, json_reply

KEY_ID, SECRET = "test-key-id", "test-secret"
_TIMEFRAMES = {"1Min": "1m", "5Min": "5m", "15Min": "15m", "1Hour": "1h", "1Day": "1d"}
_STEP = {"1m": timedelta(minutes=1), "5m": timedelta(minutes=5), "15m": timedelta(minutes=15)}
_STEP |= {"1h": timedelta(hours=1), "1d": timedelta(days=1)}


def _time(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def bar_json(bar) -> dict:
    return {
        "t": _rfc3339(bar.timestamp),
        "o": float(bar.open),
        "h": float(bar.high),
        "l": float(bar.low),
        "c": float(bar.close),
        "v": float(bar.volume),
        "n": 100,
        "vw": float((bar.high + bar.low + bar.close) / 3),
    }


class FakeAlpaca(FakeProviderServer):
    """Alpaca market data v2."""

    page_size = 10_000

    def request_symbols(self, path: str, query: dict) -> frozenset[str]:
        return frozenset(query.get("symbols", [""])[0].split(","))

    def route(self, path: str, query: dict, headers: dict) -> Reply:
        if headers.get("apca-api-key-id") != KEY_ID or headers.get("apca-api-secret-key") != SECRET:
            return error_reply(401, "unauthorized.")
        if path not in ("/v2/stocks/bars", "/v1beta3/crypto/us/bars"):
            return error_reply(404, "not found")
        try:
            symbols = query["symbols"][0].split(",")
            timeframe = _TIMEFRAMES[query["timeframe"][0]]
            start, end = _time(query["start"][0]), _time(query["end"][0])
        except (KeyError, ValueError):
            return error_reply(422, "invalid query")
        if "page_token" in query:
            start = _time(base64.b64decode(query["page_token"][0]).decode())
        limit = min(int(query.get("limit", ["1000"])[0]), self.page_size)
        return self._page(symbols, timeframe, start, end, limit)

    def _page(self, symbols, timeframe, start, end, limit) -> Reply:
        body, token = {}, None
        inclusive_end = end + _STEP[timeframe]
        for symbol in symbols:
            bars = self.bars(symbol, timeframe, start, inclusive_end)
            if len(bars) > limit:
                token = base64.b64encode(_rfc3339(bars[limit].timestamp).encode()).decode()
                bars = bars[:limit]
            if bars:
                body[symbol] = [bar_json(bar) for bar in bars]
        return json_reply({"bars": body, "next_page_token": token})


if __name__ == "__main__":
    from harness.fakes.http import serve_forever

    serve_forever(FakeAlpaca)
