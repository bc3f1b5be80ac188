"""Replay from Parquet and multi-symbol files; synthetic bad ticks on demand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from common.exceptions import ProviderError
from marketdata.providers.replay import ReplayProvider
from marketdata.providers.synthetic import SyntheticProvider, parse_faults
from marketdata.quality import QUARANTINED, assess_bars

START = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
END = START + timedelta(minutes=20)


def source_bars(symbol: str):
    return (
        SyntheticProvider(seed=3)
        .fetch_bars(symbol=symbol, timeframe="1m", start=START, end=END)
        .bars
    )


def table(bars, *, with_symbol: bool) -> pa.Table:
    columns = {
        "timestamp": pa.array([bar.timestamp for bar in bars], pa.timestamp("us", tz="UTC")),
        "open": [float(bar.open) for bar in bars],
        "high": [float(bar.high) for bar in bars],
        "low": [float(bar.low) for bar in bars],
        "close": [float(bar.close) for bar in bars],
        "volume": [float(bar.volume) for bar in bars],
    }
    if with_symbol:
        columns["symbol"] = [bar.symbol for bar in bars]
    return pa.table(columns)


def test_a_per_symbol_parquet_file_replays_the_same_bars_as_its_source(tmp_path):
    bars = source_bars("AAPL")
    pq.write_table(table(bars, with_symbol=False), tmp_path / "AAPL.parquet")

    result = ReplayProvider(directory=tmp_path).fetch_bars(
        symbol="AAPL", timeframe="1m", start=START, end=END
    )

    assert result.bars == bars
    assert result.rejections == []


def test_a_multi_symbol_parquet_file_serves_each_symbol_its_own_rows(tmp_path):
    aapl, msft = source_bars("AAPL"), source_bars("MSFT")
    pq.write_table(table(aapl + msft, with_symbol=True), tmp_path / "universe.parquet")
    provider = ReplayProvider(directory=tmp_path)

    got_msft = provider.fetch_bars(symbol="MSFT", timeframe="1m", start=START, end=END)
    got_aapl = provider.fetch_bars(symbol="AAPL", timeframe="1m", start=START, end=END)

    assert got_msft.bars == msft
    assert got_aapl.bars == aapl


def test_a_multi_symbol_csv_file_serves_each_symbol_its_own_rows(tmp_path):
    lines = ["symbol,timestamp,open,high,low,close,volume"]
    for bar in source_bars("AAPL") + source_bars("SPY"):
        values = (bar.timestamp.isoformat(), bar.open, bar.high, bar.low, bar.close, bar.volume)
        lines.append(",".join([bar.symbol, *map(str, values)]))
    (tmp_path / "universe.csv").write_text("\n".join(lines) + "\n")

    result = ReplayProvider(directory=tmp_path).fetch_bars(
        symbol="SPY", timeframe="1m", start=START, end=END
    )

    assert result.bars == source_bars("SPY")


def test_a_parquet_row_with_a_missing_price_is_a_rejection_not_a_bar(tmp_path):
    bars = source_bars("AAPL")
    data = table(bars, with_symbol=False).to_pydict()
    data["close"][3] = None
    pq.write_table(pa.table(data), tmp_path / "AAPL.parquet")

    result = ReplayProvider(directory=tmp_path).fetch_bars(
        symbol="AAPL", timeframe="1m", start=START, end=END
    )

    assert len(result.bars) == len(bars) - 1
    assert "missing close" in result.rejections[0].reason


def test_a_symbol_in_no_file_is_a_provider_error(tmp_path):
    with pytest.raises(ProviderError):
        ReplayProvider(directory=tmp_path).fetch_bars(
            symbol="NOPE", timeframe="1m", start=START, end=END
        )


def test_injected_synthetic_faults_land_on_their_bars_and_are_caught():
    at = START + timedelta(minutes=10)
    faults = parse_faults(f"AAPL@{at.isoformat()}=times_ten;MSFT@{at.isoformat()}=frozen")
    provider = SyntheticProvider(seed=3, faults=faults)
    clean = source_bars("AAPL")

    aapl = provider.fetch_bars(symbol="AAPL", timeframe="1m", start=START, end=END).bars
    msft = provider.fetch_bars(symbol="MSFT", timeframe="1m", start=START, end=END).bars

    assert aapl[10].close == clean[10].close * Decimal(10)
    assert aapl[:10] == clean[:10]
    assert {(bar.open, bar.close) for bar in msft[9:]} == {(msft[9].open, msft[9].close)}
    assert assess_bars(aapl)[10].status == QUARANTINED


def test_a_badly_written_injected_fault_is_refused():
    with pytest.raises(ValueError, match="SYMBOL@ISO-TIME=KIND"):
        parse_faults("AAPL=times_ten")
