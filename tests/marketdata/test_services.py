from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import REGISTRY

from common.exceptions import NotFound
from marketdata.models import Bar
from marketdata.providers.replay import ReplayProvider
from marketdata.selectors import instrument_get
from marketdata.services import bars_ingest
from marketdata.timeframes import last_complete_bar_end

pytestmark = pytest.mark.django_db
REPLAY_START = datetime(2026, 3, 1, tzinfo=UTC)


def _rejected(reason: str) -> float:
    return (
        REGISTRY.get_sample_value(
            "tradingops_marketdata_bars_rejected_total", {"provider": "replay", "reason": reason}
        )
        or 0.0
    )


def test_ingest_twice_for_the_same_period_stores_each_bar_once(instruments, provider, frozen_clock):
    end = last_complete_bar_end(frozen_clock.now(), "1m")
    start = end - timedelta(minutes=30)

    first = bars_ingest(provider=provider, start=start, end=end)
    second = bars_ingest(provider=provider, start=start, end=end)

    assert first.stored == {"AAPL": 30, "MSFT": 30, "SPY": 30}
    assert second.stored == {"AAPL": 0, "MSFT": 0, "SPY": 0}
    assert Bar.objects.count() == 90


def test_ingest_continues_after_the_newest_stored_bar(history, provider, frozen_clock):
    before = Bar.objects.count()
    frozen_clock.advance(timedelta(minutes=3))

    report = bars_ingest(provider=provider)

    assert report.stored == {"AAPL": 3, "MSFT": 3, "SPY": 3}
    assert Bar.objects.count() == before + 9
    newest = Bar.objects.order_by("-timestamp").first()
    assert newest.timestamp == last_complete_bar_end(frozen_clock.now(), "1m") - timedelta(
        minutes=1
    )


def test_bad_rows_are_rejected_counted_and_never_stored_while_good_rows_are(instruments, tmp_path):
    (tmp_path / "AAPL.csv").write_text(
        "timestamp,open,high,low,close,volume\n"
        "2026-03-02T14:30:00Z,100,101,99,100.5,1000\n"
        "2026-03-02T14:31:00Z,100,99,101,100.5,1000\n"  # high < low
        "2026-03-02T14:32:00Z,-1,101,99,100.5,1000\n"  # negative price
        "2026-03-02T14:33:00Z,abc,101,99,100.5,1000\n"  # malformed
        "2026-03-02T14:34:00Z,100,101,99,100.5,1000\n"
        "2026-03-02T14:29:00Z,100,101,99,100.5,1000\n"  # out of order
        "2026-03-02T14:35:00Z,100,101,99,100.5,\n"  # missing volume
    )
    counters = {
        r: _rejected(r)
        for r in ("high_below_low", "non_positive_price", "malformed_row", "timestamp_out_of_order")
    }

    report = bars_ingest(
        provider=ReplayProvider(directory=tmp_path), symbols=["AAPL"], start=REPLAY_START
    )

    assert report.stored == {"AAPL": 2}
    assert report.rejected == {"AAPL": 5}
    stored = sorted(Bar.objects.values_list("timestamp__minute", flat=True))
    assert stored == [30, 34]
    assert _rejected("high_below_low") == counters["high_below_low"] + 1
    assert _rejected("non_positive_price") == counters["non_positive_price"] + 1
    assert _rejected("malformed_row") == counters["malformed_row"] + 2
    assert _rejected("timestamp_out_of_order") == counters["timestamp_out_of_order"] + 1


def test_a_failing_instrument_does_not_stop_the_others(instruments, tmp_path):
    (tmp_path / "AAPL.csv").write_text(
        "timestamp,open,high,low,close,volume\n2026-03-02T14:30:00Z,100,101,99,100.5,1000\n"
    )
    report = bars_ingest(provider=ReplayProvider(directory=tmp_path), start=REPLAY_START)

    assert report.stored == {"AAPL": 1}
    assert set(report.failed) == {"MSFT", "SPY"}
    assert "no file for symbol 'MSFT'" in report.failed["MSFT"]


def test_one_fetch_never_reaches_further_back_than_the_cap(instruments, provider, settings):
    settings.MARKETDATA_MAX_BARS_PER_FETCH = 50
    settings.MARKETDATA_INITIAL_LOOKBACK_BARS = 500

    report = bars_ingest(provider=provider, symbols=["AAPL"])

    assert report.stored == {"AAPL": 50}


def test_unknown_symbol_is_a_clear_not_found(instruments):
    with pytest.raises(NotFound, match="Unknown instrument symbol 'NOPE'"):
        instrument_get(symbol="NOPE")
