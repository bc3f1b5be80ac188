"""The provider interface: bars for one symbol over a half-open time window."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol


@dataclass(frozen=True, slots=True)
class RawBar:
    """A bar as a provider returned it, parsed but not yet validated."""

    symbol: str
    timestamp: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal


@dataclass(frozen=True, slots=True)
class RowRejection:
    """A provider row that could not even be parsed into a bar."""

    symbol: str
    row: str
    reason: str


@dataclass(slots=True)
class FetchResult:
    bars: list[RawBar] = field(default_factory=list)
    rejections: list[RowRejection] = field(default_factory=list)


class BarProvider(Protocol):
    name: str

    def fetch_bars(
        self, *, symbol: str, timeframe: str, start: datetime, end: datetime
    ) -> FetchResult:
        """Complete bars with ``start <= timestamp < end``, oldest first.

        Raises ``ProviderError`` when the provider cannot serve the symbol or the window.
        """
        ...
