"""Market data writes: ingestion (fetch → validate → idempotent upsert)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import structlog
from django.conf import settings
from django.db import transaction

from common import clock
from common.exceptions import ProviderError
from marketdata import metrics
from marketdata.models import Bar, Instrument
from marketdata.providers.base import BarProvider, FetchResult
from marketdata.providers.registry import get_provider
from marketdata.quality import validate_bars
from marketdata.selectors import bar_latest, bar_timestamps, instrument_list
from marketdata.timeframes import last_complete_bar_end, timeframe_delta

logger = structlog.get_logger(__name__)


@dataclass
class IngestReport:
    stored: dict[str, int] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, dict]:
        return {"stored": self.stored, "rejected": self.rejected, "failed": self.failed}


def _window_start(instrument: Instrument, timeframe: str, end: datetime) -> datetime:
    latest = bar_latest(instrument_id=instrument.pk, timeframe=timeframe)
    if latest is not None:
        return latest.timestamp + timeframe_delta(timeframe)
    return end - settings.MARKETDATA_INITIAL_LOOKBACK_BARS * timeframe_delta(timeframe)


def _record_rejections(
    provider: BarProvider, instrument: Instrument, fetched: FetchResult, rejected: list
) -> int:
    for row in fetched.rejections:
        metrics.BARS_REJECTED.labels(provider.name, "malformed_row").inc()
        logger.warning(
            "bar_rejected",
            symbol=instrument.symbol,
            provider=provider.name,
            reasons=[row.reason],
            row=row.row,
        )
    for item in rejected:
        for reason in item.reasons:
            metrics.BARS_REJECTED.labels(provider.name, reason).inc()
        logger.warning(
            "bar_rejected",
            symbol=instrument.symbol,
            provider=provider.name,
            reasons=list(item.reasons),
            timestamp=item.bar.timestamp.isoformat(),
        )
    return len(fetched.rejections) + len(rejected)


@transaction.atomic
def _store(instrument: Instrument, timeframe: str, provider: BarProvider, bars: list) -> int:
    """Insert the bars not stored yet; an existing (instrument, timeframe, timestamp) wins.

    ``ignore_conflicts`` backs the unique constraint, so two workers ingesting the same
    window at once still store each bar once.
    """
    if not bars:
        return 0
    existing = bar_timestamps(
        instrument_id=instrument.pk,
        timeframe=timeframe,
        start=bars[0].timestamp,
        end=bars[-1].timestamp + timeframe_delta(timeframe),
    )
    ingested_at = clock.now()
    new = [
        Bar(
            instrument=instrument,
            timeframe=timeframe,
            timestamp=bar.timestamp,
            open=bar.open,
            high=bar.high,
            low=bar.low,
            close=bar.close,
            volume=bar.volume,
            source=provider.name,
            ingested_at=ingested_at,
        )
        for bar in bars
        if bar.timestamp not in existing
    ]
    Bar.objects.bulk_create(new, ignore_conflicts=True)
    metrics.BARS_STORED.labels(provider.name).inc(len(new))
    return len(new)


def instrument_bars_ingest(
    *,
    instrument: Instrument,
    provider: BarProvider,
    timeframe: str,
    start: datetime | None = None,
    end: datetime | None = None,
) -> tuple[int, int]:
    """Fetch, validate and store one instrument's bars; returns (stored, rejected)."""
    end = end or last_complete_bar_end(clock.now(), timeframe)
    start = start or _window_start(instrument, timeframe, end)
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
    if start >= end:
        return 0, 0
    fetched = provider.fetch_bars(
        symbol=instrument.symbol, timeframe=timeframe, start=start, end=end
    )
    previous = bar_latest(instrument_id=instrument.pk, timeframe=timeframe, before=start)
    result = validate_bars(
        fetched.bars,
        previous_timestamp=previous.timestamp if previous else None,
        now=clock.now(),
    )
    rejected = _record_rejections(provider, instrument, fetched, result.rejected)
    return _store(instrument, timeframe, provider, result.accepted), rejected


def bars_ingest(
    *,
    symbols: list[str] | None = None,
    provider: BarProvider | None = None,
    timeframe: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> IngestReport:
    """Ingest every active instrument (or ``symbols``); one failing instrument stops no other.

    Idempotent: by default each instrument continues after its newest stored bar, and an
    explicit window re-run stores only bars that are not there yet.
    """
    provider = provider or get_provider()
    timeframe = timeframe or settings.MARKETDATA_TIMEFRAME
    instruments = instrument_list()
    if symbols is not None:
        instruments = instruments.filter(symbol__in=symbols)
    report = IngestReport()
    for instrument in instruments:
        try:
            stored, rejected = instrument_bars_ingest(
                instrument=instrument, provider=provider, timeframe=timeframe, start=start, end=end
            )
        except ProviderError as exc:
            metrics.PROVIDER_ERRORS.labels(provider.name).inc()
            logger.error(
                "ingest_failed", symbol=instrument.symbol, provider=provider.name, error=str(exc)
            )
            report.failed[instrument.symbol] = str(exc)
            continue
        report.stored[instrument.symbol] = stored
        report.rejected[instrument.symbol] = rejected
    logger.info("bars_ingested", provider=provider.name, **report.as_dict())
    return report
