from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from common.exceptions import ProviderError
from marketdata.providers.base import RawBar
from marketdata.providers.replay import ReplayProvider, parse_row, parse_timestamp

HEADER = "timestamp,open,high,low,close,volume"
T0 = datetime(2024, 3, 4, 14, 30, tzinfo=UTC)
WIDE_START = datetime(2000, 1, 1, tzinfo=UTC)
WIDE_END = datetime(2100, 1, 1, tzinfo=UTC)


def write_csv(directory, symbol: str, *lines: str, header: str = HEADER):
    path = directory / f"{symbol}.csv"
    path.write_text("\n".join([header, *lines]) + "\n")
    return path


def fetch(provider, symbol="AAPL", start=WIDE_START, end=WIDE_END):
    return provider.fetch_bars(symbol=symbol, timeframe="1m", start=start, end=end)


def bump_mtime(path, seconds: int = 10) -> None:
    """Give a rewritten file a clearly newer mtime, whatever the filesystem's resolution."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + seconds * 1_000_000_000))


@pytest.fixture
def provider(tmp_path) -> ReplayProvider:
    return ReplayProvider(directory=tmp_path)


def test_good_rows_are_parsed_into_bars_with_exact_decimals(tmp_path, provider):
    write_csv(tmp_path, "AAPL", "2024-03-04T14:30:00Z,100.10,101.25,99.95,100.5,12345")

    result = fetch(provider)

    assert result.bars == [
        RawBar(
            symbol="AAPL",
            timestamp=T0,
            open=Decimal("100.10"),
            high=Decimal("101.25"),
            low=Decimal("99.95"),
            close=Decimal("100.5"),
            volume=Decimal("12345"),
        )
    ]
    assert result.rejections == []


@pytest.mark.parametrize(
    "text",
    [
        "2024-03-04T14:30:00Z",
        "2024-03-04T14:30:00",
        "2024-03-04 14:30:00",
        " 2024-03-04T14:30:00Z ",
    ],
)
def test_z_suffixed_and_naive_timestamps_are_read_as_utc(text):
    moment = parse_timestamp(text)

    assert moment == T0
    assert moment.utcoffset() == timedelta(0)


def test_a_timestamp_with_an_offset_keeps_its_instant():
    moment = parse_timestamp("2024-03-04T09:30:00-05:00")

    assert moment == T0
    assert moment.tzinfo == timezone(timedelta(hours=-5))


def test_parse_row_names_the_missing_fields():
    row = {"timestamp": "2024-03-04T14:30:00Z", "open": "1", "high": "", "low": "1", "close": "1"}

    with pytest.raises(ValueError, match="missing high, volume"):
        parse_row("AAPL", row)


def test_parse_row_rejects_a_price_that_is_not_a_number():
    row = {
        "timestamp": "2024-03-04",
        "open": "1",
        "high": "x",
        "low": "1",
        "close": "1",
        "volume": "1",
    }

    with pytest.raises(ValueError, match="not a number"):
        parse_row("AAPL", row)


def test_malformed_rows_come_back_as_rejections_next_to_the_good_bars(tmp_path, provider):
    write_csv(
        tmp_path,
        "AAPL",
        "2024-03-04T14:30:00Z,100,101,99,100.5,1000",
        "2024-03-04T14:31:00Z,100,101,99,,1000",
        "2024-03-04T14:32:00Z,100,abc,99,100.5,1000",
        "2024-03-04T14:33:00Z,100,101",
        "not-a-time,100,101,99,100.5,1000",
        "2024-03-04T14:34:00Z,100,101,99,100.5,1000",
    )

    result = fetch(provider)

    assert [bar.timestamp for bar in result.bars] == [T0, T0 + timedelta(minutes=4)]
    assert len(result.rejections) == 4
    assert all(r.reason.startswith("malformed_row") for r in result.rejections)
    assert all(r.symbol == "AAPL" for r in result.rejections)
    assert result.rejections[0].row == "2024-03-04T14:31:00Z,100,101,99,,1000"
    assert "missing close" in result.rejections[0].reason
    assert "not a number" in result.rejections[1].reason
    assert "missing low, close, volume" in result.rejections[2].reason


def test_rejections_are_reported_once_per_file_load(tmp_path, provider):
    write_csv(tmp_path, "AAPL", "2024-03-04T14:30:00Z,100,101,99,100.5,1000", "bad,row")

    first = fetch(provider)
    second = fetch(provider)

    assert len(first.rejections) == 1
    assert second.rejections == []
    assert second.bars == first.bars


def test_rejections_are_reported_even_when_no_bar_falls_in_the_window(tmp_path, provider):
    write_csv(tmp_path, "AAPL", "2024-03-04T14:30:00Z,100,101,99,100.5,1000", "bad,row")

    result = fetch(provider, start=T0 + timedelta(days=1), end=T0 + timedelta(days=2))

    assert result.bars == []
    assert len(result.rejections) == 1


def test_a_rewritten_file_is_reloaded_and_reports_its_rejections_again(tmp_path, provider):
    path = write_csv(tmp_path, "AAPL", "2024-03-04T14:30:00Z,100,101,99,100.5,1000", "bad,row")
    fetch(provider)
    assert fetch(provider).rejections == []

    write_csv(
        tmp_path,
        "AAPL",
        "2024-03-04T14:30:00Z,100,101,99,100.5,1000",
        "2024-03-04T14:31:00Z,100,101,99,100.5,1000",
        "still,bad",
    )
    bump_mtime(path)
    result = fetch(provider)

    assert len(result.bars) == 2
    assert [r.row for r in result.rejections] == ["still,bad,,,,"]


def test_rejections_are_tracked_per_symbol(tmp_path, provider):
    write_csv(tmp_path, "AAPL", "bad,row")
    write_csv(tmp_path, "MSFT", "bad,row")

    assert len(fetch(provider, "AAPL").rejections) == 1
    assert len(fetch(provider, "MSFT").rejections) == 1
    assert fetch(provider, "AAPL").rejections == []


@pytest.mark.parametrize(
    "header",
    ["timestamp,open,high,low,close", "time,open,high,low,close,volume", "a,b,c,d,e,f"],
)
def test_a_header_without_every_column_is_a_provider_error(tmp_path, provider, header):
    write_csv(tmp_path, "AAPL", "2024-03-04T14:30:00Z,100,101,99,100.5", header=header)

    with pytest.raises(ProviderError, match="header must contain"):
        fetch(provider)


def test_an_empty_file_is_a_provider_error(tmp_path, provider):
    (tmp_path / "AAPL.csv").write_text("")

    with pytest.raises(ProviderError):
        fetch(provider)


def test_extra_columns_in_any_order_are_fine(tmp_path, provider):
    write_csv(
        tmp_path,
        "AAPL",
        "1000,100.5,99,101,100,2024-03-04T14:30:00Z,x",
        header="volume,close,low,high,open,timestamp,note",
    )

    (bar,) = fetch(provider).bars

    assert (bar.open, bar.high, bar.low, bar.close, bar.volume) == tuple(
        Decimal(v) for v in ("100", "101", "99", "100.5", "1000")
    )


def test_an_unknown_symbol_is_a_provider_error(provider):
    with pytest.raises(ProviderError, match="no file for symbol 'ZZZZ'"):
        fetch(provider, "ZZZZ")


def test_the_window_is_half_open(tmp_path, provider):
    rows = [f"2024-03-04T14:3{i}:00Z,100,101,99,100.5,1000" for i in range(5)]
    write_csv(tmp_path, "AAPL", *rows)

    result = fetch(provider, start=T0 + timedelta(minutes=1), end=T0 + timedelta(minutes=3))

    assert [bar.timestamp for bar in result.bars] == [
        T0 + timedelta(minutes=1),
        T0 + timedelta(minutes=2),
    ]


def test_bars_are_served_in_file_order_without_validation(tmp_path, provider):
    # Ordering and price checks belong to marketdata.quality, not to the parser.
    write_csv(
        tmp_path,
        "AAPL",
        "2024-03-04T14:31:00Z,100,101,99,100.5,1000",
        "2024-03-04T14:30:00Z,-1,0,5,NaN,-3",
    )

    result = fetch(provider)

    assert [bar.timestamp for bar in result.bars] == [T0 + timedelta(minutes=1), T0]
    assert result.bars[1].close.is_nan()
    assert result.rejections == []
