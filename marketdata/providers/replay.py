"""CSV replay: one ``<SYMBOL>.csv`` per symbol (``timestamp,open,high,low,close,volume``).

Rows that cannot be parsed are returned as rejections with their reason, never dropped
silently; range and consistency checks happen in ``marketdata.quality`` like for any provider.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from common.exceptions import ProviderError
from marketdata.providers.base import FetchResult, RawBar, RowRejection

COLUMNS = ("timestamp", "open", "high", "low", "close", "volume")


def parse_timestamp(text: str) -> datetime:
    """ISO 8601; a naive timestamp is taken as UTC (as exported by most vendors)."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_row(symbol: str, row: dict[str, str | None]) -> RawBar:
    """One CSV row as a RawBar; ValueError says what is wrong with it."""
    missing = [name for name in COLUMNS if not (row.get(name) or "").strip()]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    try:
        values = {name: Decimal(str(row[name]).strip()) for name in COLUMNS[1:]}
    except InvalidOperation:
        raise ValueError("a price or volume is not a number") from None
    return RawBar(symbol=symbol, timestamp=parse_timestamp(str(row["timestamp"])), **values)


def read_csv(path: Path, symbol: str) -> FetchResult:
    result = FetchResult()
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or not set(COLUMNS) <= set(reader.fieldnames):
            raise ProviderError(f"{path.name}: header must contain {','.join(COLUMNS)}")
        for row in reader:
            try:
                result.bars.append(parse_row(symbol, row))
            except ValueError as exc:
                line = ",".join(str(row.get(name) or "") for name in COLUMNS)
                result.rejections.append(
                    RowRejection(symbol=symbol, row=line, reason=f"malformed_row: {exc}")
                )
    return result


class ReplayProvider:
    """Serves bars from CSV files in a directory, as if they arrived live."""

    name = "replay"

    def __init__(self, *, directory: Path) -> None:
        self.directory = Path(directory)
        self._cache: dict[str, tuple[tuple[int, int], FetchResult]] = {}
        # Unparseable rows have no trustworthy time, so they are reported once per file load.
        self._unreported: set[str] = set()

    def _load(self, symbol: str) -> FetchResult:
        path = self.directory / f"{symbol}.csv"
        if not path.is_file():
            raise ProviderError(f"replay has no file for symbol {symbol!r} ({path})")
        stat = path.stat()
        # Size as well as mtime: a rewrite within the filesystem's timestamp resolution still
        # reloads.
        version = (stat.st_mtime_ns, stat.st_size)
        cached = self._cache.get(symbol)
        if cached is None or cached[0] != version:
            cached = (version, read_csv(path, symbol))
            self._cache[symbol] = cached
            self._unreported.add(symbol)
        return cached[1]

    def fetch_bars(
        self, *, symbol: str, timeframe: str, start: datetime, end: datetime
    ) -> FetchResult:
        data = self._load(symbol)
        in_window = [bar for bar in data.bars if start <= bar.timestamp < end]
        rejections = data.rejections if symbol in self._unreported else []
        self._unreported.discard(symbol)
        return FetchResult(bars=in_window, rejections=rejections)
