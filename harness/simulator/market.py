"""Prices for the simulator: the project's own trusted bars, read through marketdata selectors.

The simulator process is Django-aware, so it fills against exactly the bars the rest of the
stack ingested (a quarantined bar never fills an order) and, through ``common.clock``, at the
demo's scaled market time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pandas as pd
from django.conf import settings

from common.exceptions import NotFound
from harness.simulator.engine import SimBar
from marketdata import selectors
from marketdata.calendars import calendar_code, exchange_calendar
from marketdata.models import Instrument
from marketdata.timeframes import timeframe_delta

# Bars one tick reads per order at most: an order that waited through a long outage catches
# up over a few ticks instead of one long query.
MAX_BARS_PER_STEP = 30


class DatabaseMarket:
    def __init__(self, *, timeframe: str | None = None) -> None:
        self.timeframe = timeframe or settings.MARKETDATA_TIMEFRAME
        self.delta = timeframe_delta(self.timeframe)
        self._instruments: dict[str, Instrument] = {}

    def _instrument(self, symbol: str) -> Instrument | None:
        # Instruments are fixed for a run; unknown symbols are asked again (one may be added).
        if symbol not in self._instruments:
            try:
                self._instruments[symbol] = selectors.instrument_get(symbol=symbol)
            except NotFound:
                return None
        return self._instruments[symbol]

    def knows(self, symbol: str) -> bool:
        return self._instrument(symbol) is not None

    def bars_since(self, symbol: str, since: datetime, now: datetime) -> list[SimBar]:
        """Trusted bars starting at or after ``since`` that closed by ``now``, oldest first."""
        instrument = self._instrument(symbol)
        if instrument is None:
            return []
        bars: list[SimBar] = []
        after = since - timedelta(microseconds=1)
        while len(bars) < MAX_BARS_PER_STEP:
            bar = selectors.bar_next(
                instrument_id=instrument.pk, timeframe=self.timeframe, after=after
            )
            if bar is None or bar.timestamp + self.delta > now:
                break
            bars.append(
                SimBar(
                    bar.timestamp,
                    bar.timestamp + self.delta,
                    bar.open,
                    bar.high,
                    bar.low,
                    bar.close,
                    bar.volume,
                )
            )
            after = bar.timestamp
        return bars

    def last_price(self, symbol: str, now: datetime) -> Decimal | None:
        instrument = self._instrument(symbol)
        if instrument is None:
            return None
        bar = selectors.bar_latest(
            instrument_id=instrument.pk, timeframe=self.timeframe, before=now - self.delta
        )
        return None if bar is None else bar.close

    def session_end(self, symbol: str, at: datetime) -> datetime | None:
        """When a DAY order placed at ``at`` expires: the session close (UTC midnight 24/7)."""
        instrument = self._instrument(symbol)
        code = calendar_code(instrument) if instrument is not None else ""
        if not code:
            return datetime.combine(at.date() + timedelta(days=1), datetime.min.time(), UTC)
        calendar = exchange_calendar(code)
        minute = pd.Timestamp(at).floor("min")
        if not calendar.first_minute <= minute <= calendar.last_minute:
            return None
        session = (
            calendar.minute_to_future_session(minute)
            if not calendar.is_open_on_minute(minute)
            else calendar.minute_to_session(minute)
        )
        return calendar.session_close(session).to_pydatetime()
