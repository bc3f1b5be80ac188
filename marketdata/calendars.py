"""Market hours per instrument: exchange sessions for equities, 24/7 for crypto.

Staleness, the frozen-series rule and gap backfill all ask "was the market open then?";
exchange-calendars answers with real sessions, holidays and early closes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache

import exchange_calendars as xcals
import pandas as pd
from django.conf import settings

from marketdata.choices import AssetClass
from marketdata.models import Instrument
from marketdata.quality import always_open
from marketdata.timeframes import floor_to_timeframe


@cache
def exchange_calendar(code: str) -> xcals.ExchangeCalendar:
    return xcals.get_calendar(code)


def calendar_code(instrument: Instrument) -> str:
    """The instrument's calendar; empty means the market never closes (crypto)."""
    if instrument.calendar:
        return instrument.calendar
    if instrument.asset_class == AssetClass.CRYPTO:
        return ""
    return settings.MARKETDATA_EQUITY_CALENDAR


def _within(calendar: xcals.ExchangeCalendar, moment: pd.Timestamp) -> bool:
    return calendar.first_minute <= moment <= calendar.last_minute


def open_predicate(code: str) -> Callable[[datetime], bool]:
    """``is_open(moment)`` for bars stamped with the start of their minute."""
    if not code:
        return always_open
    calendar = exchange_calendar(code)

    def is_open(moment: datetime) -> bool:
        minute = pd.Timestamp(moment).floor("min")
        return _within(calendar, minute) and bool(calendar.is_open_on_minute(minute))

    return is_open


def open_minutes(code: str, start: datetime, end: datetime) -> list[datetime]:
    """Trading minutes in ``[start, end)`` (every minute when the market never closes)."""
    first, last = pd.Timestamp(start).ceil("min"), pd.Timestamp(end) - pd.Timedelta(minutes=1)
    if last < first:
        return []
    if not code:
        return list(pd.date_range(first, last, freq="min").to_pydatetime())
    calendar = exchange_calendar(code)
    first, last = max(first, calendar.first_minute), min(last, calendar.last_minute)
    if last < first:
        return []
    return list(calendar.minutes_in_range(first, last).to_pydatetime())


def expected_bar_starts(
    code: str, timeframe: str, start: datetime, end: datetime
) -> list[datetime]:
    """Starts of the bars of ``timeframe`` in ``[start, end)`` during which the market was open."""
    minutes = open_minutes(code, start, end)
    if timeframe == "1m":
        return minutes
    starts = sorted({floor_to_timeframe(minute, timeframe) for minute in minutes})
    return [moment for moment in starts if start <= moment < end]
