"""Which broker execution talks to."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.conf import settings

from execution.brokers.contract import Broker
from execution.brokers.paper import PaperBroker
from execution.selectors import DatabasePaperBook
from marketdata.selectors import bar_next


def _next_bar_open(instrument_id: int, after: datetime) -> tuple[datetime, Decimal] | None:
    bar = bar_next(
        instrument_id=instrument_id, timeframe=settings.MARKETDATA_TIMEFRAME, after=after
    )
    return (bar.timestamp, bar.open) if bar else None


def get_broker() -> Broker:
    """The configured broker: "paper" (in-process, the embedded default and backtests) or
    "alpaca" (Alpaca's trading API, or the local simulator that speaks it)."""
    if settings.EXECUTION_BROKER == "alpaca":
        # Imported lazily: alpaca-py is only loaded by processes that trade through it.
        from execution.brokers.alpaca import AlpacaBroker

        return AlpacaBroker.from_settings()
    return PaperBroker(
        slippage_bps=settings.PAPER_BROKER_SLIPPAGE_BPS,
        next_bar_open=_next_bar_open,
        book=DatabasePaperBook(),
    )
