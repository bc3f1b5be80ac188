"""The provider interface: bars for one symbol over a half-open time window."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from common.exceptions import ProviderError


class RetryableProviderError(ProviderError):
    """A failure worth retrying: timeout, connection error, 5xx, 429, a truncated body.

    Anything else (bad credentials, unknown symbol, a 4xx) fails at once: retrying cannot help.
    """

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


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
