"""The fake providers' controls that soak runs and game days switch over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from harness.fakes.alpaca import KEY_ID, SECRET, FakeAlpaca

HEADERS = {"APCA-API-KEY-ID": KEY_ID, "APCA-API-SECRET-KEY": SECRET}


@pytest.fixture
def session_alpaca():
    with FakeAlpaca(seed=11, calendar="XNYS") as server:
        yield server


def bars(server, symbols: str, start: str, end: str) -> httpx.Response:
    return httpx.get(
        f"{server.base_url}/v2/stocks/bars",
        params={"symbols": symbols, "timeframe": "15Min", "start": start, "end": end},
        headers=HEADERS,
        timeout=5,
    )


def control(server, action: str, **params) -> httpx.Response:
    return httpx.post(f"{server.base_url}/_control/{action}", params=params, timeout=5)


def test_with_a_calendar_only_session_bars_are_served(session_alpaca):
    # Thursday 2 April 2026 19:00 UTC to Monday 6 April 14:00 UTC: Friday is Good Friday.
    body = bars(session_alpaca, "AAPL", "2026-04-02T19:00:00Z", "2026-04-06T13:45:00Z").json()

    times = [bar["t"] for bar in body["bars"]["AAPL"]]
    assert times == [
        "2026-04-02T19:00:00Z",
        "2026-04-02T19:15:00Z",
        "2026-04-02T19:30:00Z",
        "2026-04-02T19:45:00Z",
        "2026-04-06T13:30:00Z",
        "2026-04-06T13:45:00Z",
    ]


def test_a_fault_for_one_symbol_leaves_the_others_served(session_alpaca):
    assert control(session_alpaca, "fault", mode="5xx", symbols="AAPL").status_code == 200

    down = bars(session_alpaca, "AAPL", "2026-03-30T14:00:00Z", "2026-03-30T15:00:00Z")
    up = bars(session_alpaca, "MSFT", "2026-03-30T14:00:00Z", "2026-03-30T15:00:00Z")

    assert down.status_code == 503
    assert up.status_code == 200
    assert len(up.json()["bars"]["MSFT"]) == 5


def test_a_bad_tick_planted_over_http_changes_that_bar_until_recovery(session_alpaca):
    window = ("2026-03-30T14:00:00Z", "2026-03-30T14:30:00Z")
    before = bars(session_alpaca, "AAPL", *window).json()["bars"]["AAPL"]

    planted = control(
        session_alpaca, "bad_tick", symbol="AAPL", at="2026-03-30T14:15:00Z", kind="times_ten"
    )
    during = bars(session_alpaca, "AAPL", *window).json()["bars"]["AAPL"]
    control(session_alpaca, "recover")
    after = bars(session_alpaca, "AAPL", *window).json()["bars"]["AAPL"]

    assert planted.status_code == 200
    assert during[0] == before[0]
    assert during[1]["c"] == pytest.approx(before[1]["c"] * 10, rel=0.01)
    assert after == before


def test_a_stale_fault_set_over_http_freezes_the_feed(session_alpaca):
    control(session_alpaca, "fault", mode="stale", stale_after="2026-03-30T14:30:00Z")

    body = bars(session_alpaca, "AAPL", "2026-03-30T14:00:00Z", "2026-03-30T16:00:00Z").json()

    newest = max(datetime.fromisoformat(bar["t"]) for bar in body["bars"]["AAPL"])
    assert newest == datetime(2026, 3, 30, 14, 15, tzinfo=UTC)


def test_bad_control_input_is_a_400_not_a_crash(session_alpaca):
    response = control(session_alpaca, "fault", mode="5xx", count="many")

    assert response.status_code == 400
    assert bars(session_alpaca, "AAPL", "2026-03-30T14:00:00Z", "2026-03-30T14:30:00Z").is_success


def test_an_unknown_bad_tick_kind_is_refused_with_400_and_changes_nothing(session_alpaca):
    window = ("2026-03-30T14:00:00Z", "2026-03-30T14:30:00Z")
    before = bars(session_alpaca, "AAPL", *window).json()["bars"]["AAPL"]

    refused = control(
        session_alpaca, "bad_tick", symbol="AAPL", at="2026-03-30T14:15:00Z", kind="sideways"
    )

    assert refused.status_code == 400
    assert "unknown kind 'sideways'" in refused.json()["message"]
    assert bars(session_alpaca, "AAPL", *window).json()["bars"]["AAPL"] == before
