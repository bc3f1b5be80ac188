from __future__ import annotations

from datetime import datetime

from django.db.models import Max, QuerySet

from common.exceptions import NotFound
from marketdata.models import Bar, Instrument


def instrument_list(*, active: bool | None = True) -> QuerySet[Instrument]:
    instruments = Instrument.objects.all()
    return instruments if active is None else instruments.filter(active=active)


def instrument_get(*, symbol: str) -> Instrument:
    try:
        return Instrument.objects.get(symbol=symbol)
    except Instrument.DoesNotExist:
        raise NotFound(f"Unknown instrument symbol {symbol!r}") from None


def bar_latest(*, instrument_id: int, timeframe: str, before: datetime | None = None) -> Bar | None:
    """Newest bar of the instrument (strictly before ``before`` when given)."""
    bars = Bar.objects.filter(instrument_id=instrument_id, timeframe=timeframe)
    if before is not None:
        bars = bars.filter(timestamp__lt=before)
    return bars.order_by("-timestamp").first()


def bar_next(*, instrument_id: int, timeframe: str, after: datetime) -> Bar | None:
    """First bar that starts after ``after``: where a market order placed then would fill."""
    return (
        Bar.objects.filter(instrument_id=instrument_id, timeframe=timeframe, timestamp__gt=after)
        .order_by("timestamp")
        .first()
    )


def bar_history(
    *, instrument_id: int, timeframe: str, until: datetime | None = None, limit: int | None = None
) -> list[Bar]:
    """Bars oldest first, up to and including ``until``; the newest ``limit`` when given."""
    bars = Bar.objects.filter(instrument_id=instrument_id, timeframe=timeframe)
    if until is not None:
        bars = bars.filter(timestamp__lte=until)
    if limit is None:
        return list(bars.order_by("timestamp"))
    return list(reversed(bars.order_by("-timestamp")[:limit]))


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


def newest_bar_times(*, timeframe: str) -> dict[str, datetime]:
    """Start time of each active instrument's newest bar, by symbol."""
    rows = (
        Bar.objects.filter(timeframe=timeframe, instrument__active=True)
        .values("instrument__symbol")
        .annotate(newest=Max("timestamp"))
        .order_by()
    )
    return {row["instrument__symbol"]: row["newest"] for row in rows}
