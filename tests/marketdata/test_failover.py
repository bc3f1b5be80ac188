"""Failover, failback, breakers and backfill against the fake Alpaca and Polygon servers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marketdata.choices import ProviderEventKind
from marketdata.feeds import breaker_for, serving_provider
from marketdata.models import Bar, ProviderEvent
from marketdata.resilience import CLOSED, HALF_OPEN, OPEN
from marketdata.selectors import reference_price_get
from marketdata.services import bar_gaps, bars_ingest
from marketdata.timeframes import last_complete_bar_end
from tests.marketdata.factories import InstrumentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def aapl(db):
    return InstrumentFactory(symbol="AAPL")


@pytest.fixture
def chain(alpaca, polygon):
    return [alpaca, polygon]


def ingest(chain):
    return bars_ingest(providers=chain)


def kinds() -> list[str]:
    return list(ProviderEvent.objects.order_by("created_at", "id").values_list("kind", flat=True))


def newest_source(aapl) -> str:
    return Bar.objects.filter(instrument=aapl).latest("timestamp").source


def fail_primary_for_three_cycles(chain, alpaca_server, frozen_clock) -> None:
    """Three failed calls (each after its retries): the breaker's limit in these tests."""
    alpaca_server.set_fault("5xx")
    for cycle in range(3):
        if cycle:
            frozen_clock.advance(timedelta(minutes=1))
        ingest(chain)


def test_the_primary_serves_while_healthy_and_the_second_provider_cross_checks(
    aapl, chain, alpaca_server, polygon_server
):
    report = ingest(chain)

    assert report.stored["AAPL"] == 300
    assert newest_source(aapl) == "alpaca"
    assert polygon_server.requests  # the cross-check asked the same window
    assert Bar.objects.exclude(status="ok").count() == 0
    assert kinds() == []


@pytest.mark.parametrize(
    ("mode", "options"),
    [("5xx", {}), ("timeout", {"delay_s": 2.0}), ("slow", {"delay_s": 1.5})],
    ids=["5xx", "timeout", "latency-spike-beyond-timeout"],
)
def test_the_second_provider_serves_in_the_same_cycle_when_the_primary_fails(
    aapl, chain, alpaca_server, mode, options
):
    alpaca_server.set_fault(mode, **options)

    report = ingest(chain)

    assert report.failed == {}
    assert report.stored["AAPL"] == 300
    assert newest_source(aapl) == "polygon"
    assert len(alpaca_server.requests) == 3  # every retry spent, then failover
    event = ProviderEvent.objects.get(kind=ProviderEventKind.FAILOVER)
    assert (event.provider, event.symbol) == ("polygon", "AAPL")
    assert "alpaca" in event.reason


def test_a_429_with_retry_after_is_retried_and_the_primary_still_serves(aapl, chain, alpaca_server):
    alpaca_server.set_fault("429", count=1, retry_after_s=1)

    ingest(chain)

    assert newest_source(aapl) == "alpaca"
    assert len(alpaca_server.requests) == 2
    assert kinds() == []


def test_a_non_retryable_error_is_not_retried(aapl, polygon, polygon_server, alpaca_server):
    from marketdata.providers.alpaca import AlpacaProvider

    wrong_keys = AlpacaProvider(api_key="x", secret_key="y", base_url=alpaca_server.base_url)

    ingest([wrong_keys, polygon])

    assert len(alpaca_server.requests) == 1
    assert newest_source(aapl) == "polygon"


def test_the_breaker_opens_after_n_failures_and_then_skips_the_primary(
    aapl, chain, alpaca_server, frozen_clock
):
    fail_primary_for_three_cycles(chain, alpaca_server, frozen_clock)
    calls = len(alpaca_server.requests)

    frozen_clock.advance(timedelta(seconds=30))
    ingest(chain)

    assert breaker_for("alpaca").load().state == OPEN
    assert len(alpaca_server.requests) == calls  # not called while open
    assert calls == 9  # three calls of three attempts each
    assert kinds() == [ProviderEventKind.FAILOVER, ProviderEventKind.BREAKER_OPENED]
    assert newest_source(aapl) == "polygon"


def test_failback_happens_only_after_successful_half_open_probes(
    aapl, chain, alpaca_server, frozen_clock
):
    fail_primary_for_three_cycles(chain, alpaca_server, frozen_clock)
    alpaca_server.recover()

    frozen_clock.advance(timedelta(seconds=61))
    ingest(chain)  # probe 1 succeeds: still half-open, polygon serves this cycle
    half_open_source = newest_source(aapl)
    frozen_clock.advance(timedelta(minutes=1))
    ingest(chain)  # probe 2 succeeds: closed, alpaca serves again

    assert half_open_source == "polygon"
    assert breaker_for("alpaca").load().state == CLOSED
    assert newest_source(aapl) == "alpaca"
    assert serving_provider("AAPL") == "alpaca"
    assert kinds() == [
        ProviderEventKind.FAILOVER,
        ProviderEventKind.BREAKER_OPENED,
        ProviderEventKind.BREAKER_HALF_OPEN,
        ProviderEventKind.BREAKER_CLOSED,
        ProviderEventKind.FAILBACK,
    ]
    closed = ProviderEvent.objects.get(kind=ProviderEventKind.BREAKER_CLOSED)
    assert closed.duration_s == pytest.approx(61 + 60, abs=1)  # the outage, from opening
    failback = ProviderEvent.objects.get(kind=ProviderEventKind.FAILBACK)
    assert failback.duration_s == pytest.approx(121 + 120, abs=1)  # since the failover


def test_a_failed_probe_opens_the_breaker_again(aapl, chain, alpaca_server, frozen_clock):
    fail_primary_for_three_cycles(chain, alpaca_server, frozen_clock)
    frozen_clock.advance(timedelta(seconds=61))

    ingest(chain)

    assert breaker_for("alpaca").load().state == OPEN
    assert kinds()[-2:] == [ProviderEventKind.BREAKER_HALF_OPEN, ProviderEventKind.BREAKER_OPENED]


def test_no_bar_is_missing_after_an_outage_of_several_cycles(
    aapl, chain, alpaca_server, polygon_server, frozen_clock
):
    ingest(chain)
    alpaca_server.set_fault("5xx")
    polygon_server.set_fault("timeout", delay_s=2.0)
    for _ in range(4):
        frozen_clock.advance(timedelta(minutes=1))
        report = ingest(chain)
        assert "AAPL" in report.failed
    alpaca_server.recover()
    polygon_server.recover()

    frozen_clock.advance(timedelta(seconds=61))  # past the breaker's reset
    for _ in range(2):
        ingest(chain)
        frozen_clock.advance(timedelta(minutes=1))

    end = last_complete_bar_end(frozen_clock.now(), "1m") - timedelta(minutes=1)
    assert bar_gaps(instrument=aapl, timeframe="1m", start=end - timedelta(hours=2), end=end) == []


def test_a_gap_left_by_a_failover_is_backfilled_and_recorded(
    aapl, chain, alpaca_server, frozen_clock
):
    ingest(chain)
    end = last_complete_bar_end(frozen_clock.now(), "1m")
    hole = [end - timedelta(minutes=m) for m in (50, 49, 48)]
    Bar.objects.filter(instrument=aapl, timestamp__in=hole).delete()
    alpaca_server.set_fault("5xx", count=3)  # one failed cycle for the primary
    frozen_clock.advance(timedelta(minutes=1))

    ingest(chain)

    assert set(hole) <= set(Bar.objects.filter(instrument=aapl).values_list("timestamp", flat=True))
    event = ProviderEvent.objects.get(kind=ProviderEventKind.BACKFILL)
    assert event.detail["missing"] == 3
    assert event.detail["filled"] == 3
    assert event.detail["still_missing"] == []


def test_bars_outside_market_hours_are_not_gaps(aapl, chain, frozen_clock):
    ingest(chain)
    end = last_complete_bar_end(frozen_clock.now(), "1m")
    # The NYSE closes at 21:00 UTC in March; the synthetic feed has bars all night, but the
    # calendar expects none between the close and the next open.
    Bar.objects.filter(instrument=aapl, timestamp__lt=end - timedelta(minutes=100)).delete()

    frozen_clock.advance(timedelta(hours=5))
    gaps = bar_gaps(
        instrument=aapl,
        timeframe="1m",
        start=end,
        end=last_complete_bar_end(frozen_clock.now(), "1m"),
    )

    assert gaps[0] == end
    assert len(gaps) == 120  # 19:00 to 21:00 UTC, then the market is closed


def test_the_breaker_state_machine_without_a_server(frozen_clock, settings):
    breaker = breaker_for("demo")

    for _ in range(2):
        breaker.record_failure("boom")
    state_after_two = breaker.load().state
    frozen_clock.advance(timedelta(seconds=301))  # the first failures left the window
    breaker.record_failure("boom")

    assert state_after_two == CLOSED
    assert breaker.load().state == CLOSED
    breaker.record_failure("boom")
    breaker.record_failure("boom")
    assert breaker.load().state == OPEN
    assert not breaker.allow()
    frozen_clock.advance(timedelta(seconds=60))
    assert breaker.allow()
    assert breaker.load().state == HALF_OPEN


def test_a_stale_primary_is_passed_over_for_a_provider_that_has_the_new_bars(
    aapl, chain, alpaca_server, frozen_clock
):
    ingest(chain)
    alpaca_server.set_fault("stale", stale_after=last_complete_bar_end(frozen_clock.now(), "1m"))
    frozen_clock.advance(timedelta(minutes=2))

    report = ingest(chain)

    assert report.stored["AAPL"] == 2
    assert newest_source(aapl) == "polygon"
    event = ProviderEvent.objects.get(kind=ProviderEventKind.FAILOVER)
    assert "stale" in event.reason


def test_when_every_provider_is_stale_nothing_is_stored_and_nothing_fails(
    aapl, chain, alpaca_server, polygon_server, frozen_clock
):
    ingest(chain)
    frozen_at = last_complete_bar_end(frozen_clock.now(), "1m")
    alpaca_server.set_fault("stale", stale_after=frozen_at)
    polygon_server.set_fault("stale", stale_after=frozen_at)
    frozen_clock.advance(timedelta(minutes=5))

    report = ingest(chain)

    assert report.failed == {}
    assert report.stored["AAPL"] == 0
    assert reference_price_get(symbol="AAPL").stale


def test_a_database_error_in_a_commit_batch_reruns_its_instruments_one_by_one(
    chain, settings, monkeypatch, db
):
    from django.db import DatabaseError, connection

    import marketdata.services.ingest as services

    symbols = ["AAA", "BBB", "CCC"]
    for symbol in symbols:
        InstrumentFactory(symbol=symbol)
    settings.MARKETDATA_INGEST_COMMIT_EVERY = 3
    monkeypatch.setattr(connection, "vendor", "postgresql")  # batching is PostgreSQL's
    real = services.instrument_ingest_with_failover
    failures = iter([True])

    def flaky(**kwargs):
        outcome = real(**kwargs)
        if kwargs["instrument"].symbol == "CCC" and next(failures, False):
            raise DatabaseError("connection reset mid-batch")
        return outcome

    monkeypatch.setattr(services, "instrument_ingest_with_failover", flaky)

    report = ingest(chain)

    assert report.stored == {"AAA": 300, "BBB": 300, "CCC": 300}
    assert Bar.objects.filter(instrument__symbol__in=symbols).count() == 900
