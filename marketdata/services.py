"""Market data writes: ingestion (fetch → validate → idempotent upsert)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import structlog
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.cache import cache
from django.db import DatabaseError, connection, transaction
from django.db.models import OuterRef, Subquery

from common import clock
from common.exceptions import ProviderError, ValidationFailed
from marketdata import metrics
from marketdata.calendars import calendar_code, expected_bar_starts, open_predicate
from marketdata.choices import (
    TRUSTED_BAR_STATUSES,
    BarReviewAction,
    BarStatus,
    ProviderEventKind,
)
from marketdata.feeds import fetch_with_failover, provider_event_record, reference_closes
from marketdata.models import Bar, BarReview, Instrument
from marketdata.providers.base import BarProvider, FetchResult, RawBar
from marketdata.providers.registry import get_provider, provider_names
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
    bar_first,
    bar_latest_timestamp,
    bar_recent_values,
    bar_stored_values,
    bar_timestamps,
    instrument_list,
    newest_bar_cache_forget,
    newest_bar_cache_set,
)
from marketdata.timeframes import last_complete_bar_end, timeframe_delta

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


def _window_start(
    instrument: Instrument, timeframe: str, end: datetime, newest: Any = UNKNOWN
) -> datetime:
    latest = newest
    if latest is UNKNOWN:
        latest = bar_latest_timestamp(instrument_id=instrument.pk, timeframe=timeframe)
    if latest is not None:
        return latest + timeframe_delta(timeframe)
    return end - settings.MARKETDATA_INITIAL_LOOKBACK_BARS * timeframe_delta(timeframe)


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
        _review(pk, BarReviewAction.CONFIRM, None, CONFIRMED_BY_FOLLOWERS, "")
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
            _review(saved[item.bar.timestamp].pk, BarReviewAction.CONFIRM, None, why, "")
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


def _review(
    bar_id: int, action: str, actor: AbstractBaseUser | None, reason: str, request_id: str
) -> BarReview:
    return BarReview.objects.create(
        bar_id=bar_id,
        action=action,
        actor=actor,
        actor_name=actor.get_username() if actor is not None else "system",
        reason=reason,
        request_id=request_id,
        created_at=clock.now(),
    )


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
    still = bar_gaps(instrument=instrument, timeframe=timeframe, start=missing[0], end=end)
    if not still:
        cache.delete(_gap_check_key(instrument.symbol))
    metrics.BARS_BACKFILLED.labels(served.provider.name).inc(outcome.stored)
    provider_event_record(
        provider=served.provider.name,
        kind=ProviderEventKind.BACKFILL,
        symbol=instrument.symbol,
        reason=f"{len(missing)} bars missing, {outcome.stored} filled, {len(still)} still missing",
        duration_s=(clock.now() - began).total_seconds(),
        detail={
            "missing": len(missing),
            "filled": outcome.stored,
            "still_missing": [moment.isoformat() for moment in still[:20]],
        },
    )
    return outcome.stored


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
    instruments = instrument_list().annotate(
        newest_bar_at=Subquery(
            Bar.objects.filter(instrument=OuterRef("pk"), timeframe=timeframe)
            .order_by("-timestamp")
            .values("timestamp")[:1]
        )
    )
    if symbols is not None:
        instruments = instruments.filter(symbol__in=symbols)
    report = IngestReport()

    def attempt(instrument: Instrument) -> InstrumentIngest | ProviderError:
        try:
            if provider is not None:
                return instrument_ingest(
                    instrument=instrument,
                    provider=provider,
                    timeframe=timeframe,
                    start=start,
                    end=end,
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

    for instrument, outcome in _in_batches(list(instruments), attempt):
        if isinstance(outcome, ProviderError):
            if provider is not None:
                metrics.PROVIDER_ERRORS.labels(provider.name).inc()
            logger.error("ingest_failed", symbol=instrument.symbol, error=str(outcome))
            report.failed[instrument.symbol] = str(outcome)
            continue
        report.stored[instrument.symbol] = outcome.stored
        report.rejected[instrument.symbol] = outcome.rejected
        report.quarantined[instrument.symbol] = outcome.quarantined
    logger.info("bars_ingested", **report.as_dict())
    return report


def _bar_review_apply(
    *, bar: Bar, action: str, actor: AbstractBaseUser | None, reason: str, request_id: str
) -> Bar:
    status = BarStatus.RELEASED if action == BarReviewAction.RELEASE else BarStatus.DISCARDED
    if not reason.strip():
        raise ValidationFailed("A reason is required to release or discard a bar.")
    # Claim the bar atomically: of two operators acting at once, only one changes it.
    claimed = Bar.objects.filter(pk=bar.pk, status=BarStatus.QUARANTINED).update(status=status)
    if not claimed:
        raise ValidationFailed(f"Bar {bar} is not quarantined; nothing to {action}.")
    bar.refresh_from_db()
    newest_bar_cache_forget(instrument_id=bar.instrument_id, timeframe=bar.timeframe)
    _review(bar.pk, action, actor, reason.strip(), request_id)
    metrics.BAR_REVIEWS.labels(action).inc()
    logger.info("bar_reviewed", bar=str(bar), action=action, reason=reason, request_id=request_id)
    return bar


@transaction.atomic
def bar_release(
    *, bar: Bar, actor: AbstractBaseUser | None, reason: str, request_id: str = ""
) -> Bar:
    """An operator vouches for a quarantined bar: it is trusted from now on (audited)."""
    return _bar_review_apply(
        bar=bar, action=BarReviewAction.RELEASE, actor=actor, reason=reason, request_id=request_id
    )


@transaction.atomic
def bar_discard(
    *, bar: Bar, actor: AbstractBaseUser | None, reason: str, request_id: str = ""
) -> Bar:
    """An operator declares a quarantined bar wrong: it stays stored, never used (audited)."""
    return _bar_review_apply(
        bar=bar, action=BarReviewAction.DISCARD, actor=actor, reason=reason, request_id=request_id
    )
