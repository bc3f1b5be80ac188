"""Market data writes: ingestion cycles (fetch with failover → validate → store → backfill)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Any

import structlog
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection, transaction
from django.db.models import OuterRef, Subquery

from common import clock
from common.exceptions import ProviderError
from marketdata import metrics
from marketdata.calendars import calendar_code, expected_bar_starts
from marketdata.choices import ProviderEventKind
from marketdata.feeds import fetch_with_failover, provider_event_record, reference_closes
from marketdata.models import Bar, Instrument
from marketdata.providers.base import BarProvider, FetchResult
from marketdata.providers.registry import get_provider, provider_names
from marketdata.selectors import bar_first, bar_latest_timestamp, bar_timestamps, instrument_list
from marketdata.services.storage import (
    UNKNOWN,
    IngestReport,
    InstrumentIngest,
    instrument_fetched_store,
)
from marketdata.timeframes import last_complete_bar_end, timeframe_delta

logger = structlog.get_logger(__name__)


def _window_start(
    instrument: Instrument, timeframe: str, end: datetime, newest: Any = UNKNOWN
) -> datetime:
    latest = newest
    if latest is UNKNOWN:
        latest = bar_latest_timestamp(instrument_id=instrument.pk, timeframe=timeframe)
    if latest is not None:
        return latest + timeframe_delta(timeframe)
    return end - settings.MARKETDATA_INITIAL_LOOKBACK_BARS * timeframe_delta(timeframe)


def instrument_bars_ingest(
    *,
    instrument: Instrument,
    provider: BarProvider,
    timeframe: str,
    start: datetime | None = None,
    end: datetime | None = None,
) -> tuple[int, int]:
    """Fetch, validate and store one instrument's bars from one provider; (stored, rejected)."""
    outcome = instrument_ingest(
        instrument=instrument, provider=provider, timeframe=timeframe, start=start, end=end
    )
    return outcome.stored, outcome.rejected


def _fetch_window(
    instrument: Instrument,
    timeframe: str,
    start: datetime | None,
    end: datetime | None,
    newest: Any = UNKNOWN,
) -> tuple[datetime, datetime]:
    end = end or last_complete_bar_end(clock.now(), timeframe)
    start = start or _window_start(instrument, timeframe, end, newest)
    # One call never asks for more than the cap: after a long outage the newest bars come
    # first and the log says how much was skipped.
    earliest = end - settings.MARKETDATA_MAX_BARS_PER_FETCH * timeframe_delta(timeframe)
    if start < earliest:
        logger.warning(
            "ingest_window_truncated",
            symbol=instrument.symbol,
            requested_start=start.isoformat(),
            start=earliest.isoformat(),
        )
        start = earliest
    return start, end


def instrument_ingest(
    *,
    instrument: Instrument,
    provider: BarProvider,
    timeframe: str,
    start: datetime | None = None,
    end: datetime | None = None,
    references: dict[datetime, Decimal] | None = None,
) -> InstrumentIngest:
    """Fetch, reject, assess and store one instrument's bars from exactly ``provider``."""
    start, end = _fetch_window(instrument, timeframe, start, end)
    if start >= end:
        return InstrumentIngest()
    fetched = provider.fetch_bars(
        symbol=instrument.symbol, timeframe=timeframe, start=start, end=end
    )
    return instrument_fetched_store(
        instrument=instrument,
        source=provider.name,
        timeframe=timeframe,
        start=start,
        fetched=fetched,
        references=references,
    )


def _gap_check_key(symbol: str) -> str:
    return f"marketdata:gapcheck:{symbol}"


def instrument_ingest_with_failover(
    *,
    instrument: Instrument,
    chain: list[BarProvider],
    timeframe: str,
    start: datetime | None = None,
    end: datetime | None = None,
) -> InstrumentIngest:
    """One instrument's cycle over its ordered providers.

    Steps: 1. fetch from the first provider that can serve (breakers, retries, failover);
    2. cross-check against the next healthy provider; 3. validate and store; 4. after any
    trouble (a failed provider, a failover) look back for gaps against the exchange calendar
    and backfill them.
    """
    # bars_ingest annotates each instrument with its newest stored bar: two queries fewer.
    newest = getattr(instrument, "newest_bar_at", UNKNOWN)
    start, end = _fetch_window(instrument, timeframe, start, end, newest)
    if start >= end:
        return InstrumentIngest()
    try:
        served = fetch_with_failover(
            instrument=instrument, chain=chain, timeframe=timeframe, start=start, end=end
        )
    except ProviderError:
        cache.set(_gap_check_key(instrument.symbol), True, None)
        raise
    references = reference_closes(
        instrument=instrument,
        chain=chain,
        served=served,
        timeframe=timeframe,
        start=start,
        end=end,
    )
    outcome = instrument_fetched_store(
        instrument=instrument,
        source=served.provider.name,
        timeframe=timeframe,
        start=start,
        fetched=served.fetched,
        references=references,
        newest=newest,
    )
    if served.errors or cache.get(_gap_check_key(instrument.symbol)):
        outcome.stored += instrument_gaps_backfill(
            instrument=instrument, chain=chain, timeframe=timeframe, end=end
        )
    return outcome


def instrument_gaps_backfill(
    *, instrument: Instrument, chain: list[BarProvider], timeframe: str, end: datetime
) -> int:
    """Fetch every bar the exchange calendar expects in the look-back but the store lacks.

    Only the span after the instrument's first stored bar counts (before it is history that
    was never ingested, not a gap). Records a backfill event with what was missing and what
    is still missing; clears the gap-check flag once nothing is missing.
    """
    began = clock.now()
    missing = bar_gaps(
        instrument=instrument,
        timeframe=timeframe,
        start=end - settings.MARKETDATA_BACKFILL_LOOKBACK_BARS * timeframe_delta(timeframe),
        end=end,
    )
    if not missing:
        cache.delete(_gap_check_key(instrument.symbol))
        return 0
    provider, stored = _missing_bars_store(instrument, chain, timeframe, missing)
    still = bar_gaps(instrument=instrument, timeframe=timeframe, start=missing[0], end=end)
    if not still:
        cache.delete(_gap_check_key(instrument.symbol))
    metrics.BARS_BACKFILLED.labels(provider).inc(stored)
    provider_event_record(
        provider=provider,
        kind=ProviderEventKind.BACKFILL,
        symbol=instrument.symbol,
        reason=f"{len(missing)} bars missing, {stored} filled, {len(still)} still missing",
        duration_s=(clock.now() - began).total_seconds(),
        detail={
            "missing": len(missing),
            "filled": stored,
            "still_missing": [moment.isoformat() for moment in still[:20]],
        },
    )
    return stored


def _missing_bars_store(
    instrument: Instrument, chain: list[BarProvider], timeframe: str, missing: list[datetime]
) -> tuple[str, int]:
    """Fetch the span of the missing bars and store those of them served: (provider, stored)."""
    served = fetch_with_failover(
        instrument=instrument,
        chain=chain,
        timeframe=timeframe,
        start=missing[0],
        end=missing[-1] + timeframe_delta(timeframe),
    )
    wanted = set(missing)
    fetched = FetchResult(
        bars=[bar for bar in served.fetched.bars if bar.timestamp in wanted],
        rejections=served.fetched.rejections,
    )
    outcome = instrument_fetched_store(
        instrument=instrument,
        source=served.provider.name,
        timeframe=timeframe,
        start=missing[0],
        fetched=fetched,
    )
    return served.provider.name, outcome.stored


def bar_gaps(
    *, instrument: Instrument, timeframe: str, start: datetime, end: datetime
) -> list[datetime]:
    """Bar starts in ``[start, end)`` the market was open for but no stored bar has."""
    first = bar_first(instrument_id=instrument.pk, timeframe=timeframe)
    if first is None:
        return []
    start = max(start, first.timestamp)
    expected = expected_bar_starts(calendar_code(instrument), timeframe, start, end)
    stored = bar_timestamps(instrument_id=instrument.pk, timeframe=timeframe, start=start, end=end)
    return [moment for moment in expected if moment not in stored]


def _chain(instrument: Instrument, providers: list[BarProvider] | None) -> list[BarProvider]:
    if providers is not None:
        return providers
    return [get_provider(name) for name in provider_names(instrument)]


def _in_batches(
    instruments: list[Instrument], attempt: Callable[[Instrument], Any]
) -> list[tuple[Instrument, Any]]:
    """``attempt`` each instrument; on PostgreSQL, MARKETDATA_INGEST_COMMIT_EVERY per commit.

    On PostgreSQL each statement is a network round trip and each commit two more, so a batch
    of instruments shares one transaction (its inserts hold no lock anyone else waits for but
    a second insert of the same bar). SQLite commits locally and its write lock would block
    the trading cycle, so there every instrument commits on its own. Ingest is idempotent: if
    a batch fails on a database error, its instruments are simply run again one by one.
    """
    size = settings.MARKETDATA_INGEST_COMMIT_EVERY if connection.vendor == "postgresql" else 1
    if size <= 1:
        return [(instrument, attempt(instrument)) for instrument in instruments]
    results = []
    for first in range(0, len(instruments), size):
        batch = instruments[first : first + size]
        try:
            with transaction.atomic():
                results += [(instrument, attempt(instrument)) for instrument in batch]
        except DatabaseError as exc:
            logger.warning("ingest_batch_retried_one_by_one", error=str(exc))
            results += [(instrument, attempt(instrument)) for instrument in batch]
    return results


def _instruments_to_ingest(symbols: list[str] | None, timeframe: str) -> list[Instrument]:
    """The active instruments (or ``symbols``), each with its newest stored bar's time."""
    instruments = instrument_list().annotate(
        newest_bar_at=Subquery(
            Bar.objects.filter(instrument=OuterRef("pk"), timeframe=timeframe)
            .order_by("-timestamp")
            .values("timestamp")[:1]
        )
    )
    if symbols is not None:
        instruments = instruments.filter(symbol__in=symbols)
    return list(instruments)


def _instrument_attempt(
    instrument: Instrument,
    *,
    provider: BarProvider | None,
    providers: list[BarProvider] | None,
    timeframe: str,
    start: datetime | None,
    end: datetime | None,
) -> InstrumentIngest | ProviderError:
    """One instrument's ingest; a provider's failure is returned, so the others go on."""
    try:
        if provider is not None:
            return instrument_ingest(
                instrument=instrument, provider=provider, timeframe=timeframe, start=start, end=end
            )
        return instrument_ingest_with_failover(
            instrument=instrument,
            chain=_chain(instrument, providers),
            timeframe=timeframe,
            start=start,
            end=end,
        )
    except ProviderError as exc:
        return exc


def _report_add(
    report: IngestReport,
    instrument: Instrument,
    outcome: InstrumentIngest | ProviderError,
    provider: BarProvider | None,
) -> None:
    if isinstance(outcome, ProviderError):
        if provider is not None:
            metrics.PROVIDER_ERRORS.labels(provider.name).inc()
        logger.error("ingest_failed", symbol=instrument.symbol, error=str(outcome))
        report.failed[instrument.symbol] = str(outcome)
        return
    report.stored[instrument.symbol] = outcome.stored
    report.rejected[instrument.symbol] = outcome.rejected
    report.quarantined[instrument.symbol] = outcome.quarantined


def bars_ingest(
    *,
    symbols: list[str] | None = None,
    provider: BarProvider | None = None,
    providers: list[BarProvider] | None = None,
    timeframe: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> IngestReport:
    """Ingest every active instrument (or ``symbols``); one failing instrument stops no other.

    ``provider`` fetches from exactly that provider (no breaker, no failover: replays, seeds
    and tests); otherwise each instrument goes through its ordered providers (``providers``,
    or its own list, or MARKETDATA_PROVIDERS) with breakers, retries, failover and backfill.
    Idempotent: by default each instrument continues after its newest stored bar, and an
    explicit window re-run stores only bars that are not there yet.
    """
    timeframe = timeframe or settings.MARKETDATA_TIMEFRAME
    attempt = partial(
        _instrument_attempt,
        provider=provider,
        providers=providers,
        timeframe=timeframe,
        start=start,
        end=end,
    )
    report = IngestReport()
    for instrument, outcome in _in_batches(_instruments_to_ingest(symbols, timeframe), attempt):
        _report_add(report, instrument, outcome, provider)
    logger.info("bars_ingested", **report.as_dict())
    return report
