"""Market data writes: validated bars into the store, with their quality verdict."""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import structlog
from django.conf import settings
from django.db import transaction

from common import clock
from marketdata import metrics
from marketdata.calendars import calendar_code, open_predicate
from marketdata.choices import TRUSTED_BAR_STATUSES, BarReviewAction, BarStatus
from marketdata.models import Bar, Instrument
from marketdata.providers.base import FetchResult, RawBar
from marketdata.quality import (
    AssessedBar,
    BarAssessor,
    PlausibilityRules,
    RejectedBar,
    duplicate_conflicts,
    validate_bars,
)
from marketdata.selectors import (
    NewestBar,
    bar_latest_timestamp,
    bar_recent_values,
    bar_stored_values,
    newest_bar_cache_forget,
    newest_bar_cache_set,
)
from marketdata.services.review import bar_review_record
from marketdata.timeframes import timeframe_delta

logger = structlog.get_logger(__name__)


@dataclass
class IngestReport:
    stored: dict[str, int] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)
    quarantined: dict[str, int] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, dict]:
        return {
            "stored": self.stored,
            "rejected": self.rejected,
            "quarantined": self.quarantined,
            "failed": self.failed,
        }


@dataclass
class InstrumentIngest:
    """What one instrument's ingest did."""

    stored: int = 0
    rejected: int = 0
    quarantined: int = 0
    confirmed: int = 0


def quality_rules() -> PlausibilityRules:
    return PlausibilityRules(
        window=settings.MARKETDATA_QUALITY_WINDOW,
        zscore_threshold=settings.MARKETDATA_QUALITY_ZSCORE,
        jump_pct=settings.MARKETDATA_QUALITY_JUMP_PCT,
        wick_pct=settings.MARKETDATA_QUALITY_WICK_PCT,
        disagreement_bps=settings.MARKETDATA_QUALITY_DISAGREEMENT_BPS,
        frozen_bars=settings.MARKETDATA_QUALITY_FROZEN_BARS,
        confirm_bars=settings.MARKETDATA_QUALITY_CONFIRM_BARS,
        reference_confirm_max_jump_pct=settings.MARKETDATA_QUALITY_REFERENCE_MAX_JUMP_PCT,
    )


def _raw(bar: Bar) -> RawBar:
    return RawBar(
        symbol="",
        timestamp=bar.timestamp,
        open=bar.open,
        high=bar.high,
        low=bar.low,
        close=bar.close,
        volume=bar.volume,
    )


# "Not looked up yet", as opposed to None ("no bar stored").
UNKNOWN: Any = object()


def _record_rejections(
    source: str, instrument: Instrument, fetched: FetchResult, rejected: list[RejectedBar]
) -> int:
    for row in fetched.rejections:
        metrics.BARS_REJECTED.labels(source, "malformed_row").inc()
        logger.warning(
            "bar_rejected",
            symbol=instrument.symbol,
            provider=source,
            reasons=[row.reason],
            row=row.row,
        )
    for item in rejected:
        for reason in item.reasons:
            metrics.BARS_REJECTED.labels(source, reason).inc()
        logger.warning(
            "bar_rejected",
            symbol=instrument.symbol,
            provider=source,
            reasons=list(item.reasons),
            timestamp=item.bar.timestamp.isoformat(),
        )
    return len(fetched.rejections) + len(rejected)


def _assessor(
    instrument: Instrument, timeframe: str, before: datetime
) -> tuple[BarAssessor, list[tuple[int, AssessedBar]]]:
    """An assessor replayed over the stored bars before ``before``, and its pending bars
    (with their primary keys, to confirm them in the database)."""
    rules = quality_rules()
    assessor = BarAssessor(rules, is_open=open_predicate(calendar_code(instrument)))
    recent = bar_recent_values(
        instrument_id=instrument.pk,
        timeframe=timeframe,
        before=before,
        limit=rules.window + rules.frozen_bars + 2 * rules.confirm_bars,
    )
    keys = {row.timestamp: pk for pk, row, _ in recent}
    pending = assessor.replay(
        (row, status) for _, row, status in recent if status != BarStatus.DISCARDED
    )
    return assessor, [(keys[item.bar.timestamp], item) for item in pending]


def _bar_row(instrument: Instrument, timeframe: str, source: str, item: AssessedBar) -> Bar:
    bar = item.bar
    return Bar(
        instrument=instrument,
        timeframe=timeframe,
        timestamp=bar.timestamp,
        open=bar.open,
        high=bar.high,
        low=bar.low,
        close=bar.close,
        volume=bar.volume,
        source=source,
        ingested_at=clock.now(),
        status=item.status,
        quality_reasons=item.reasons,
    )


def _confirm_stored(carried: list[tuple[int, AssessedBar]]) -> int:
    """Stored quarantined bars that the new bars confirmed: update them and audit it."""
    confirmed = [pk for pk, item in carried if item.status == BarStatus.CONFIRMED]
    if not confirmed:
        return 0
    Bar.objects.filter(pk__in=confirmed).update(status=BarStatus.CONFIRMED)
    for pk in confirmed:
        bar_review_record(pk, BarReviewAction.CONFIRM, None, CONFIRMED_BY_FOLLOWERS, "")
    return len(confirmed)


CONFIRMED_BY_FOLLOWERS = "following bars stayed at the new level"
CONFIRMED_BY_REFERENCE = "the second provider agreed"


def _store(
    instrument: Instrument,
    timeframe: str,
    source: str,
    assessed: list[AssessedBar],
    carried: list[tuple[int, AssessedBar]],
) -> InstrumentIngest:
    """Insert the assessed bars and confirm carried-over ones, in one transaction.

    ``ignore_conflicts`` backs the unique constraint, so two workers ingesting the same
    window at once still store each bar once. A plain insert is atomic on its own; the
    transaction is opened only when confirmations and their audit rows go with it (one
    round trip per instrument instead of three on PostgreSQL).
    """
    confirming = any(item.status == BarStatus.CONFIRMED for _, item in carried) or any(
        item.status == BarStatus.CONFIRMED for item in assessed
    )
    with transaction.atomic() if confirming else nullcontext():
        return _store_rows(instrument, timeframe, source, assessed, carried)


def _store_rows(
    instrument: Instrument,
    timeframe: str,
    source: str,
    assessed: list[AssessedBar],
    carried: list[tuple[int, AssessedBar]],
) -> InstrumentIngest:
    outcome = InstrumentIngest(confirmed=_confirm_stored(carried))
    if outcome.confirmed:
        newest_bar_cache_forget(instrument_id=instrument.pk, timeframe=timeframe)
    if not assessed:
        return outcome
    rows = [_bar_row(instrument, timeframe, source, item) for item in assessed]
    Bar.objects.bulk_create(rows, ignore_conflicts=True)
    auto_confirmed = [item for item in assessed if item.status == BarStatus.CONFIRMED]
    if auto_confirmed:
        saved = bar_stored_values(
            instrument_id=instrument.pk,
            timeframe=timeframe,
            start=auto_confirmed[0].bar.timestamp,
            end=auto_confirmed[-1].bar.timestamp + timeframe_delta(timeframe),
        )
        for item in auto_confirmed:
            why = CONFIRMED_BY_FOLLOWERS if item.followers else CONFIRMED_BY_REFERENCE
            bar_review_record(saved[item.bar.timestamp].pk, BarReviewAction.CONFIRM, None, why, "")
    trusted = [item for item in assessed if item.status in TRUSTED_BAR_STATUSES]
    if trusted:
        newest = trusted[-1].bar
        newest_bar_cache_set(
            instrument_id=instrument.pk,
            timeframe=timeframe,
            bar=NewestBar(newest.timestamp, newest.close, source),
        )
    outcome.stored = len(rows)
    outcome.quarantined = sum(item.status == BarStatus.QUARANTINED for item in assessed)
    outcome.confirmed += len(auto_confirmed)
    metrics.BARS_STORED.labels(source).inc(len(rows))
    for item in assessed:
        for reason in item.reasons:
            metrics.BARS_FLAGGED.labels(source, reason, item.status).inc()
    return outcome


def bars_assess_and_store(
    *,
    instrument: Instrument,
    timeframe: str,
    source: str,
    bars: list[RawBar],
    references: dict[datetime, Decimal] | None = None,
    window_is_empty: bool = False,
) -> tuple[InstrumentIngest, list[RejectedBar]]:
    """Store well-formed bars with their quality verdict; returns the outcome and rejections.

    Steps: 1. drop bars already stored (a conflicting second version from the same source is
    rejected); 2. replay the stored bars before the first new one into an assessor;
    3. assess each new bar (the second provider's close, when known, is the reference);
    4. store them and confirm any stored quarantined bars the new ones confirmed.
    """
    if not bars:
        return InstrumentIngest(), []
    stored = {}
    if not window_is_empty:  # a concurrent insert is still caught by ignore_conflicts
        stored = bar_stored_values(
            instrument_id=instrument.pk,
            timeframe=timeframe,
            start=bars[0].timestamp,
            end=bars[-1].timestamp + timeframe_delta(timeframe),
        )
    same_source = {ts: _raw(bar) for ts, bar in stored.items() if bar.source == source}
    fresh, conflicts = duplicate_conflicts(bars, same_source)
    fresh = [bar for bar in fresh if bar.timestamp not in stored]
    if not fresh:
        return InstrumentIngest(), conflicts
    assessor, carried = _assessor(instrument, timeframe, fresh[0].timestamp)
    references = references or {}
    assessed = [assessor.assess(bar, references.get(bar.timestamp)) for bar in fresh]
    return _store(instrument, timeframe, source, assessed, carried), conflicts


def instrument_fetched_store(
    *,
    instrument: Instrument,
    source: str,
    timeframe: str,
    start: datetime,
    fetched: FetchResult,
    references: dict[datetime, Decimal] | None = None,
    newest: Any = UNKNOWN,
) -> InstrumentIngest:
    """Validate and store bars a provider returned for ``[start, ...)``.

    ``newest`` is the newest stored bar's start when the caller knows it: a window that
    begins after it needs no look-up of the previous bar nor of bars stored inside it.
    """
    after_newest = newest is not UNKNOWN and (newest is None or newest < start)
    if after_newest:
        previous = newest
    else:
        previous = bar_latest_timestamp(
            instrument_id=instrument.pk, timeframe=timeframe, before=start
        )
    result = validate_bars(
        fetched.bars,
        previous_timestamp=previous,
        now=clock.now(),
    )
    outcome, conflicts = bars_assess_and_store(
        instrument=instrument,
        timeframe=timeframe,
        source=source,
        bars=result.accepted,
        references=references,
        window_is_empty=after_newest,
    )
    outcome.rejected = _record_rejections(
        source, instrument, fetched, [*result.rejected, *conflicts]
    )
    return outcome
