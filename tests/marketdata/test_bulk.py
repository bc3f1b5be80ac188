"""Column validation of whole files gives exactly the row-by-row verdicts."""

from __future__ import annotations

import csv
import dataclasses
import json
from datetime import UTC, datetime, timedelta
from io import StringIO

import pyarrow as pa
import pyarrow.parquet as pq
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketdata.bulk import check_columns, read_columns
from marketdata.providers.replay import read_csv
from marketdata.quality import check_series
from marketdata.samples import FAULT_KINDS, Crash, inject_fault, realistic_minute_bars

T0 = datetime(2024, 3, 4, 14, 30, tzinfo=UTC)
NOW = datetime(2024, 3, 6, tzinfo=UTC)


def write_csv(path, bars) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["timestamp", "open", "high", "low", "close", "volume"])
        for bar in bars:
            writer.writerow(
                [bar.timestamp.isoformat(), bar.open, bar.high, bar.low, bar.close, bar.volume]
            )


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(0, 10_000),
    faults=st.lists(st.tuples(st.integers(30, 560), st.sampled_from(FAULT_KINDS)), max_size=4),
    shuffle=st.integers(0, 3),
)
def test_columns_and_rows_flag_the_same_rows_for_the_same_reasons(tmp_path, seed, faults, shuffle):
    crash = Crash(at=400, drop_pct=25, vol_multiplier=1) if seed % 2 else None
    bars = realistic_minute_bars(start=T0, count=600, seed=seed, crash=crash)
    for index, kind in faults:
        bars = inject_fault(bars, index, kind)
    for i in range(shuffle):  # out-of-order rows, a conflicting duplicate, a future row
        bars.insert(100 + i, dataclasses.replace(bars[50 + i], volume=bars[50 + i].volume + 1))
    bars.append(dataclasses.replace(bars[-1], timestamp=NOW + timedelta(hours=1)))
    path = tmp_path / f"S{seed}.csv"
    write_csv(path, bars)

    by_columns = check_columns(read_columns(path), now=NOW)
    by_rows = check_series(read_csv(path, "S").bars, now=NOW)

    assert by_columns == by_rows


def test_parquet_columns_are_read_like_csv(tmp_path):
    bars = realistic_minute_bars(start=T0, count=200, seed=4)
    write_csv(tmp_path / "A.csv", bars)
    table = pa.table(
        {
            "timestamp": pa.array([b.timestamp for b in bars], pa.timestamp("us", tz="UTC")),
            **{
                name: [float(getattr(b, name)) for b in bars]
                for name in ("open", "high", "low", "close", "volume")
            },
        }
    )
    pq.write_table(table, tmp_path / "A.parquet")

    from_parquet = check_columns(read_columns(tmp_path / "A.parquet"), now=NOW)
    from_csv = check_columns(read_columns(tmp_path / "A.csv"), now=NOW)

    assert from_parquet == from_csv


def test_check_bars_falls_back_to_rows_and_reports_a_malformed_row(tmp_path, frozen_clock):
    bars = realistic_minute_bars(start=T0, count=50, seed=2)
    path = tmp_path / "AAPL.csv"
    write_csv(path, bars)
    with path.open("a") as handle:
        handle.write("2024-03-04T16:00:00+00:00,abc,1,1,1,1\n")
    out = StringIO()

    call_command("check_bars", str(path), "--json", stdout=out)

    report = json.loads(out.getvalue())
    assert report["rows_read"] == 51
    assert report["counts"]["rejected"] == 1
    assert report["malformed_rows"][0]["status"] == "rejected"
    assert "not a number" in report["malformed_rows"][0]["reasons"][0]
