"""Newest-bar cache, staleness across closes and weekends, the reference price for the guard."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from prometheus_client import REGISTRY

from marketdata.choices import AssetClass
from marketdata.selectors import instrument_staleness, newest_bar_get, reference_price_get
from tests.marketdata.factories import BarFactory, InstrumentFactory

pytestmark = pytest.mark.django_db

FRIDAY_LAST_MINUTE = datetime(2026, 2, 27, 20, 59, tzinfo=UTC)  # NYSE closes 16:00 New York


def cache_count(result: str) -> float:
    sample = REGISTRY.get_sample_value("tradingops_marketdata_bar_cache_total", {"result": result})
    return sample or 0.0


def at(frozen_clock, moment: datetime) -> None:
    frozen_clock.at = moment + timedelta(seconds=30)


def test_an_equity_with_a_bar_at_the_close_is_not_stale_over_the_weekend(frozen_clock):
    aapl = InstrumentFactory(symbol="AAPL")
    BarFactory(instrument=aapl, timestamp=FRIDAY_LAST_MINUTE)

    at(frozen_clock, datetime(2026, 2, 28, 12, 0, tzinfo=UTC))  # Saturday
    saturday = instrument_staleness(instrument=aapl)
    at(frozen_clock, datetime(2026, 3, 2, 14, 32, tzinfo=UTC))  # Monday, two minutes in
    monday_open = instrument_staleness(instrument=aapl)
    at(frozen_clock, datetime(2026, 3, 2, 14, 35, tzinfo=UTC))  # five bars missing
    monday_later = instrument_staleness(instrument=aapl)

    assert (saturday.stale, saturday.open_bars_missing) == (False, 0)
    assert (monday_open.stale, monday_open.open_bars_missing) == (False, 2)
    assert (monday_later.stale, monday_later.open_bars_missing) == (True, 5)
    assert monday_later.as_of == FRIDAY_LAST_MINUTE


def test_an_equity_whose_bars_stop_during_the_session_turns_stale_after_n_bars(frozen_clock):
    aapl = InstrumentFactory(symbol="AAPL")
    BarFactory(instrument=aapl, timestamp=datetime(2026, 3, 2, 18, 0, tzinfo=UTC))

    at(frozen_clock, datetime(2026, 3, 2, 18, 4, tzinfo=UTC))
    fresh = instrument_staleness(instrument=aapl)
    at(frozen_clock, datetime(2026, 3, 2, 18, 5, tzinfo=UTC))
    stale = instrument_staleness(instrument=aapl)

    assert not fresh.stale
    assert stale.stale


def test_crypto_never_closes_so_a_silent_weekend_is_stale(frozen_clock):
    btc = InstrumentFactory(symbol="BTC/USD", asset_class=AssetClass.CRYPTO)
    BarFactory(instrument=btc, timestamp=FRIDAY_LAST_MINUTE)

    at(frozen_clock, datetime(2026, 2, 28, 12, 0, tzinfo=UTC))

    assert instrument_staleness(instrument=btc).stale


def test_an_instrument_without_any_bar_is_stale(frozen_clock):
    assert instrument_staleness(instrument=InstrumentFactory(symbol="NEW")).stale


def test_the_newest_bar_is_read_from_the_cache_after_the_first_miss(frozen_clock):
    aapl = InstrumentFactory(symbol="AAPL")
    bar = BarFactory(instrument=aapl, timestamp=datetime(2026, 3, 2, 18, 0, tzinfo=UTC))
    hits, misses = cache_count("hit"), cache_count("miss")

    first = newest_bar_get(instrument_id=aapl.pk, timeframe="1m")
    second = newest_bar_get(instrument_id=aapl.pk, timeframe="1m")

    assert first == second
    assert (second.timestamp, second.close) == (bar.timestamp, bar.close)
    assert cache_count("miss") - misses == 1
    assert cache_count("hit") - hits == 1


def test_ingest_refreshes_the_cached_newest_bar(history, provider, frozen_clock, next_bar):
    aapl = history[0]
    before = newest_bar_get(instrument_id=aapl.pk, timeframe="1m")

    next_bar()
    hits = cache_count("hit")
    after = newest_bar_get(instrument_id=aapl.pk, timeframe="1m")

    assert after.timestamp == before.timestamp + timedelta(minutes=1)
    assert cache_count("hit") - hits == 1


def test_the_reference_price_flags_a_quarantined_newest_bar_and_keeps_the_trusted_price(
    frozen_clock,
):
    aapl = InstrumentFactory(symbol="AAPL")
    good = BarFactory(instrument=aapl, timestamp=datetime(2026, 3, 2, 18, 58, tzinfo=UTC))
    BarFactory(
        instrument=aapl,
        timestamp=datetime(2026, 3, 2, 18, 59, tzinfo=UTC),
        open=Decimal("1000"),
        high=Decimal("1010"),
        low=Decimal("990"),
        close=Decimal("1005"),
        status="quarantined",
        quality_reasons=["jump_from_trusted"],
    )

    price = reference_price_get(symbol="AAPL")

    assert price.price == good.close
    assert price.as_of == good.timestamp
    assert price.quarantined
    assert not price.stale


def test_the_reference_price_of_a_silent_instrument_is_stale(frozen_clock):
    aapl = InstrumentFactory(symbol="AAPL")
    BarFactory(instrument=aapl, timestamp=datetime(2026, 3, 2, 17, 0, tzinfo=UTC))

    price = reference_price_get(symbol="AAPL")

    assert price.stale
    assert not price.quarantined


def test_ready_shows_provider_breakers_and_stale_instruments_in_its_detail(client, frozen_clock):
    InstrumentFactory(symbol="SILENT")

    body = client.get("/health/ready").json()

    detail = body["detail"]["marketdata"]
    assert detail["providers"]["synthetic"]["state"] == "closed"
    assert detail["stale_instruments"] == ["SILENT"]
    assert detail["quarantined_bars"] == 0


def test_the_instrument_admin_shows_which_instruments_are_stale(admin_client, frozen_clock):
    InstrumentFactory(symbol="SILENT")

    response = admin_client.get("/admin/marketdata/instrument/")

    assert response.status_code == 200
    assert b"SILENT" in response.content
    assert b"icon-yes.svg" in response.content or b"icon-no.svg" in response.content
    assert b"newest trusted bar" in response.content.lower()
