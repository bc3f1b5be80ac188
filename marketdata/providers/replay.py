"""Replay from files: CSV or Parquet, one symbol per file or many in one.

Columns ``timestamp,open,high,low,close,volume``. A file named ``<SYMBOL>.csv`` or
``<SYMBOL>.parquet`` (a slash in the symbol written as ``-``) holds one symbol; any other CSV or
Parquet file in the directory with a ``symbol`` column holds many. Rows that cannot be parsed
are returned as rejections with their reason, never dropped silently; range and consistency
checks happen in ``marketdata.quality`` like for any provider.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from common.exceptions import ProviderError
from marketdata.providers.base import FetchResult, RawBar, RowRejection

COLUMNS = ("timestamp", "open", "high", "low", "close", "volume")


def parse_timestamp(text: str) -> datetime:
    """ISO 8601; a naive timestamp is taken as UTC (as exported by most vendors)."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_row(symbol: str, row: Mapping[str, str | None]) -> RawBar:
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
    """The rows of ``symbol`` (all rows when the file has no ``symbol`` column)."""
    result = FetchResult()
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or not set(COLUMNS) <= set(reader.fieldnames):
            raise ProviderError(f"{path.name}: header must contain {','.join(COLUMNS)}")
        multi = "symbol" in reader.fieldnames
        for row in reader:
            if multi and row.get("symbol") != symbol:
                continue
            try:
                result.bars.append(parse_row(symbol, row))
            except ValueError as exc:
                line = ",".join(str(row.get(name) or "") for name in COLUMNS)
                result.rejections.append(
                    RowRejection(symbol=symbol, row=line, reason=f"malformed_row: {exc}")
                )
    return result


def _parquet_value(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return "" if value is None else repr(value) if isinstance(value, float) else str(value)


def read_parquet(path: Path, symbol: str) -> FetchResult:
    """Like ``read_csv``: timestamps as Parquet timestamps or ISO strings, prices as numbers."""
    try:
        schema = pq.read_schema(path)
    except (OSError, pa.ArrowInvalid) as exc:
        raise ProviderError(f"{path.name}: not a readable Parquet file ({exc})") from exc
    if not set(COLUMNS) <= set(schema.names):
        raise ProviderError(f"{path.name}: columns must contain {','.join(COLUMNS)}")
    filters = [("symbol", "=", symbol)] if "symbol" in schema.names else None
    table = pq.read_table(path, columns=list(COLUMNS), filters=filters)
    result = FetchResult()
    for row in table.to_pylist():
        text = {name: _parquet_value(row[name]) for name in COLUMNS}
        try:
            result.bars.append(parse_row(symbol, text))
        except ValueError as exc:
            line = ",".join(text[name] for name in COLUMNS)
            result.rejections.append(
                RowRejection(symbol=symbol, row=line, reason=f"malformed_row: {exc}")
            )
    return result


def _has_symbol_column(path: Path) -> bool:
    if path.suffix == ".parquet":
        try:
            return "symbol" in pq.read_schema(path).names
        except (OSError, pa.ArrowInvalid):
            return False
    with path.open(newline="") as handle:
        return "symbol" in next(csv.reader(handle), [])


READERS = {".csv": read_csv, ".parquet": read_parquet}


class ReplayProvider:
    """Serves bars from CSV or Parquet files in a directory, as if they arrived live."""

    name = "replay"

    def __init__(self, *, directory: Path) -> None:
        self.directory = Path(directory)
        self._cache: dict[str, tuple[tuple[int, int], FetchResult]] = {}
        # Unparseable rows have no trustworthy time, so they are reported once per file load.
        self._unreported: set[str] = set()
        self._paths: dict[str, Path] = {}

    def _path(self, symbol: str) -> Path:
        known = self._paths.get(symbol)
        if known is not None and known.is_file():
            return known
        self._paths[symbol] = path = self._find(symbol)
        return path

    def _find(self, symbol: str) -> Path:
        stem = symbol.replace("/", "-")
        for suffix in READERS:
            path = self.directory / f"{stem}{suffix}"
            if path.is_file():
                return path
        for path in sorted(self.directory.glob("*")):
            if path.suffix in READERS and _has_symbol_column(path):
                table = READERS[path.suffix](path, symbol)
                if table.bars or table.rejections:
                    return path
        raise ProviderError(f"replay has no file for symbol {symbol!r} in {self.directory}")

    def _load(self, symbol: str) -> FetchResult:
        path = self._path(symbol)
        stat = path.stat()
        # Size as well as mtime: a rewrite within the filesystem's timestamp resolution still
        # reloads.
        version = (stat.st_mtime_ns, stat.st_size)
        cached = self._cache.get(symbol)
        if cached is None or cached[0] != version:
            cached = (version, READERS[path.suffix](path, symbol))
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
