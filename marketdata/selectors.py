from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db.models import Max, QuerySet

from common import clock
from common.exceptions import NotFound
from marketdata import metrics
from marketdata.calendars import calendar_code, expected_bar_starts
from marketdata.choices import TRUSTED_BAR_STATUSES
from marketdata.feeds import breaker_for
from marketdata.models import Bar, Instrument
from marketdata.providers.base import RawBar
from marketdata.timeframes import last_complete_bar_end, timeframe_delta


def _bars(instrument_id: int, timeframe: str, trusted: bool) -> QuerySet[Bar]:
    """Bars of one instrument; only trusted ones (never quarantined or discarded) by default.

    Features, signals, fills and marks read through here, so a quarantined price cannot
    reach them; ingestion asks for every stored bar with ``trusted=False``.
    """
    bars = Bar.objects.filter(instrument_id=instrument_id, timeframe=timeframe)
    return bars.filter(status__in=TRUSTED_BAR_STATUSES) if trusted else bars


def instrument_list(*, active: bool | None = True) -> QuerySet[Instrument]:
    instruments = Instrument.objects.all()
    return instruments if active is None else instruments.filter(active=active)


def instrument_get(*, symbol: str) -> Instrument:
    try:
        return Instrument.objects.get(symbol=symbol)
    except Instrument.DoesNotExist:
        raise NotFound(f"Unknown instrument symbol {symbol!r}") from None


def bar_latest(
    *, instrument_id: int, timeframe: str, before: datetime | None = None, trusted: bool = True
) -> Bar | None:
    """Newest bar of the instrument (strictly before ``before`` when given)."""
    bars = _bars(instrument_id, timeframe, trusted)
    if before is not None:
        bars = bars.filter(timestamp__lt=before)
    return bars.order_by("-timestamp").first()


def bar_latest_timestamp(
    *, instrument_id: int, timeframe: str, before: datetime | None = None
) -> datetime | None:
    """Start of the newest stored bar, whatever its status (strictly before ``before``)."""
    bars = Bar.objects.filter(instrument_id=instrument_id, timeframe=timeframe)
    if before is not None:
        bars = bars.filter(timestamp__lt=before)
    return bars.order_by("-timestamp").values_list("timestamp", flat=True).first()


def bar_recent_values(
    *, instrument_id: int, timeframe: str, before: datetime, limit: int
) -> list[tuple[int, RawBar, str]]:
    """The newest ``limit`` stored bars before ``before``, oldest first, as (pk, bar, status).

    Plain values rather than model rows: every ingest cycle reads these for every
    instrument, and building Bar instances was most of its cost.
    """
    rows = (
        Bar.objects.filter(instrument_id=instrument_id, timeframe=timeframe, timestamp__lt=before)
        .order_by("-timestamp")
        .values_list("pk", "timestamp", "open", "high", "low", "close", "volume", "status")[:limit]
    )
    return [
        (pk, RawBar("", timestamp, open_, high, low, close, volume), status)
        for pk, timestamp, open_, high, low, close, volume, status in reversed(rows)
    ]


def bar_first(*, instrument_id: int, timeframe: str) -> Bar | None:
    """Oldest stored bar, whatever its status: where the instrument's history begins."""
    bars = Bar.objects.filter(instrument_id=instrument_id, timeframe=timeframe)
    return bars.order_by("timestamp").first()


def bar_next(
    *, instrument_id: int, timeframe: str, after: datetime, trusted: bool = True
) -> Bar | None:
    """First bar that starts after ``after``: where a market order placed then would fill."""
    bars = _bars(instrument_id, timeframe, trusted)
    return bars.filter(timestamp__gt=after).order_by("timestamp").first()


def bar_history(
    *,
    instrument_id: int,
    timeframe: str,
    until: datetime | None = None,
    limit: int | None = None,
    trusted: bool = True,
) -> list[Bar]:
    """Bars oldest first, up to and including ``until``; the newest ``limit`` when given."""
    bars = _bars(instrument_id, timeframe, trusted)
    if until is not None:
        bars = bars.filter(timestamp__lte=until)
    if limit is None:
        return list(bars.order_by("timestamp"))
    return list(reversed(bars.order_by("-timestamp")[:limit]))


def bar_stored_values(
    *, instrument_id: int, timeframe: str, start: datetime, end: datetime
) -> dict[datetime, Bar]:
    """Every stored bar in ``[start, end)`` by timestamp, whatever its status."""
    bars = Bar.objects.filter(
        instrument_id=instrument_id, timeframe=timeframe, timestamp__gte=start, timestamp__lt=end
    )
    return {bar.timestamp: bar for bar in bars}


def bar_timestamps(
    *, instrument_id: int, timeframe: str, start: datetime, end: datetime
) -> set[datetime]:
    return set(
        Bar.objects.filter(
            instrument_id=instrument_id,
            timeframe=timeframe,
            timestamp__gte=start,
            timestamp__lt=end,
        ).values_list("timestamp", flat=True)
    )


# --- newest bars, staleness, reference prices ------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewestBar:
    """The newest trusted bar of an instrument, as cached (plain values, no ORM row)."""

    timestamp: datetime
    close: Decimal
    source: str


def _newest_key(instrument_id: int, timeframe: str) -> str:
    return f"marketdata:newest:{instrument_id}:{timeframe}"


def newest_bar_cache_set(*, instrument_id: int, timeframe: str, bar: NewestBar) -> None:
    """Remember ``bar`` unless a newer one is cached already (ingest calls this)."""
    key = _newest_key(instrument_id, timeframe)
    cached = cache.get(key)
    if cached is not None and datetime.fromisoformat(cached["timestamp"]) >= bar.timestamp:
        return
    value = {"timestamp": bar.timestamp.isoformat(), "close": str(bar.close), "source": bar.source}
    cache.set(key, value, timeout=settings.MARKETDATA_BAR_CACHE_TTL_S)


def newest_bar_cache_forget(*, instrument_id: int, timeframe: str) -> None:
    cache.delete(_newest_key(instrument_id, timeframe))


def newest_bar_get(*, instrument_id: int, timeframe: str) -> NewestBar | None:
    """The newest trusted bar, from the cache (Redis in staging) or else the database."""
    cached = cache.get(_newest_key(instrument_id, timeframe))
    if cached is not None:
        metrics.BAR_CACHE.labels("hit").inc()
        return NewestBar(
            datetime.fromisoformat(cached["timestamp"]), Decimal(cached["close"]), cached["source"]
        )
    metrics.BAR_CACHE.labels("miss").inc()
    bar = bar_latest(instrument_id=instrument_id, timeframe=timeframe)
    if bar is None:
        return None
    newest = NewestBar(bar.timestamp, bar.close, bar.source)
    newest_bar_cache_set(instrument_id=instrument_id, timeframe=timeframe, bar=newest)
    return newest


@dataclass(frozen=True, slots=True)
class Staleness:
    stale: bool
    as_of: datetime | None  # start of the newest trusted bar
    open_bars_missing: int  # bars the market was open for since then


def instrument_staleness(
    *, instrument: Instrument, timeframe: str | None = None, now: datetime | None = None
) -> Staleness:
    """Stale when the newest trusted bar is more than MARKETDATA_STALE_AFTER_BARS timeframes
    of *open market* old: a weekend or a night does not make an equity stale; crypto never
    closes."""
    timeframe = timeframe or settings.MARKETDATA_TIMEFRAME
    now = now or clock.now()
    newest = newest_bar_get(instrument_id=instrument.pk, timeframe=timeframe)
    if newest is None:
        return Staleness(stale=True, as_of=None, open_bars_missing=0)
    step = timeframe_delta(timeframe)
    missing = expected_bar_starts(
        calendar_code(instrument),
        timeframe,
        newest.timestamp + step,
        last_complete_bar_end(now, timeframe),
    )
    limit = settings.MARKETDATA_STALE_AFTER_BARS
    return Staleness(len(missing) > limit, newest.timestamp, len(missing))


@dataclass(frozen=True, slots=True)
class ReferencePrice:
    """What the risk guard may price an order with, and whether it may trust it."""

    price: Decimal | None
    as_of: datetime | None
    stale: bool
    quarantined: bool  # the newest stored bar is held in quarantine (a suspect price)


def reference_price_get(*, symbol: str, timeframe: str | None = None) -> ReferencePrice:
    """The newest trusted close of ``symbol`` with its staleness and quarantine flags.

    Trading on a stale or quarantined instrument should be blocked by the guard: the price is
    returned for display and for the decision record, never as a reason to trade.
    """
    timeframe = timeframe or settings.MARKETDATA_TIMEFRAME
    instrument = instrument_get(symbol=symbol)
    staleness = instrument_staleness(instrument=instrument, timeframe=timeframe)
    newest_any = bar_latest(instrument_id=instrument.pk, timeframe=timeframe, trusted=False)
    quarantined = newest_any is not None and newest_any.status == "quarantined"
    newest = newest_bar_get(instrument_id=instrument.pk, timeframe=timeframe)
    return ReferencePrice(
        price=newest.close if newest else None,
        as_of=staleness.as_of,
        stale=staleness.stale,
        quarantined=quarantined,
    )


def data_health() -> dict:
    """Market data's part of /health/ready: breaker per provider, stale and quarantined counts."""
    names = set(settings.MARKETDATA_PROVIDERS)
    for providers in Instrument.objects.filter(active=True).values_list("providers", flat=True):
        names.update(providers or [])
    stale = [symbol for symbol, found in instruments_staleness().items() if found.stale]
    return {
        "providers": {name: breaker_for(name).snapshot() for name in sorted(names)},
        "stale_instruments": stale,
        "quarantined_bars": Bar.objects.filter(status="quarantined").count(),
    }


def instruments_staleness() -> dict[str, Staleness]:
    """``instrument_staleness`` of each active instrument, by symbol."""
    return {
        instrument.symbol: instrument_staleness(instrument=instrument)
        for instrument in instrument_list()
    }


def newest_bar_times(*, timeframe: str) -> dict[str, datetime]:
    """Start time of each active instrument's newest bar, by symbol."""
    rows = (
        Bar.objects.filter(timeframe=timeframe, instrument__active=True)
        .values("instrument__symbol")
        .annotate(newest=Max("timestamp"))
        .order_by()
    )
    return {row["instrument__symbol"]: row["newest"] for row in rows}
