from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from common.exceptions import NotFound
from marketdata.choices import TRUSTED_BAR_STATUSES
from marketdata.models import Bar, Instrument


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


def bar_quarantined_list(*, instrument_id: int | None = None) -> QuerySet[Bar]:
    bars = Bar.objects.filter(status="quarantined").select_related("instrument")
    return bars if instrument_id is None else bars.filter(instrument_id=instrument_id)


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
