"""Market data ingest and validation throughput.

``python -m benchmarks.ingest`` prints one JSON object (seconds):

- ``ingest_500_cycle_s_postgres`` / ``ingest_500_cycle_s_sqlite``: one ingest cycle (one new
  1-minute bar for each of 500 instruments) from a local fake Polygon server over HTTP, with
  validation, quality assessment and upsert; the median of ``BENCH_CYCLES`` cycles after a
  history of ``BENCH_HISTORY_BARS`` bars per instrument. PostgreSQL is ``DATABASE_URL`` when it
  points at PostgreSQL, else a scratch database created on ``postgres://postgres@127.0.0.1:5432``
  and dropped afterwards; SQLite is a scratch file. Each database runs in its own process.
- ``validate_1m_bars_s``: reading 1,000,000 bars from a CSV file and running every rejection
  and quarantine rule over them (``marketdata.bulk``).

Targets: under 2 s per cycle on a 2-core machine, under 10 s for a million bars.
The keys name the full size; ``instruments``, ``cycles`` and ``validated_bars`` say what ran.
Knobs: BENCH_INSTRUMENTS, BENCH_CYCLES, BENCH_HISTORY_BARS, BENCH_VALIDATE_BARS (BENCH_SMOKE=1:
tiny).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.sizes import size

INSTRUMENTS = size("BENCH_INSTRUMENTS", 500, 5)
CYCLES = size("BENCH_CYCLES", 5, 1)
HISTORY_BARS = size("BENCH_HISTORY_BARS", 120, 10)
VALIDATE_BARS = size("BENCH_VALIDATE_BARS", 1_000_000, 10_000)
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/tradingops_bench_ingest"
START = datetime(2026, 3, 2, 15, 0, 30, tzinfo=UTC)  # a Monday, NYSE open


# --- one database, in its own process -------------------------------------------------------


def _cycles() -> dict:
    import logging

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tradingops.settings.test")
    django.setup()
    logging.disable(logging.WARNING)
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    settings.MARKETDATA_INITIAL_LOOKBACK_BARS = HISTORY_BARS
    if connection.vendor == "postgresql":
        old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    else:
        old_name = None
        call_command("migrate", verbosity=0)
    try:
        return _measure(connection.vendor)
    finally:
        if old_name is not None:
            connection.creation.destroy_test_db(old_name, verbosity=0)


def _fake_polygon() -> tuple[subprocess.Popen, str]:
    """The fake Polygon server in a process of its own, as a real provider would be."""
    server = subprocess.Popen(
        [sys.executable, "-m", "harness.fakes.polygon"],
        stdout=subprocess.PIPE,
        text=True,
    )
    return server, server.stdout.readline().strip()


def _measure(vendor: str) -> dict:
    from common import clock
    from common.clock import FrozenClock
    from harness.fakes.polygon import API_KEY
    from marketdata.models import Bar, Instrument
    from marketdata.providers.polygon import PolygonProvider
    from marketdata.services import bars_ingest

    frozen = FrozenClock(START)
    clock.set_clock(frozen)
    Instrument.objects.bulk_create(
        [Instrument(symbol=f"S{i:04d}", exchange="XNAS") for i in range(INSTRUMENTS)]
    )
    server, base_url = _fake_polygon()
    try:
        provider = PolygonProvider(api_key=API_KEY, base_url=base_url, timeout_s=10)
        bars_ingest(providers=[provider])  # the history
        seconds, stored = [], []
        for _ in range(CYCLES):
            frozen.advance(timedelta(minutes=1))
            started = time.perf_counter()
            report = bars_ingest(providers=[provider])
            seconds.append(time.perf_counter() - started)
            stored.append(sum(report.stored.values()))
    finally:
        server.terminate()
        server.wait(timeout=10)
    return {
        "database": vendor,
        "cycle_s": round(statistics.median(seconds), 3),
        "cycle_max_s": round(max(seconds), 3),
        "bars_per_cycle": stored,
        "bars_total": Bar.objects.count(),
    }


def _run_on(database_url: str, var_dir: Path) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "TRADINGOPS_VAR_DIR": str(var_dir),
        "DJANGO_SETTINGS_MODULE": "tradingops.settings.test",
    }
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.ingest", "--cycles"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{database_url}: {completed.stderr[-2000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


# --- a million bars from a file --------------------------------------------------------------


def _write_million(path: Path) -> None:
    """Minute bars of a fat-tailed random walk with a few bad ticks, as an ISO-stamped CSV."""
    import numpy as np
    import pyarrow as pa
    from pyarrow import csv as pa_csv

    rng = np.random.default_rng(1)
    count = VALIDATE_BARS
    sigma = 0.3 / np.sqrt(252 * 390)
    closes = 150 * np.exp(np.cumsum(rng.standard_t(4, count) / np.sqrt(2) * sigma))
    opens = np.concatenate(([150.0], closes[:-1]))
    highs = np.maximum(opens, closes) * np.exp(np.abs(rng.standard_normal(count)) * sigma * 0.6)
    lows = np.minimum(opens, closes) * np.exp(-np.abs(rng.standard_normal(count)) * sigma * 0.6)
    for index in rng.integers(count // 10, count - count // 10, 50):  # bad ticks: x10, /10
        factor = 10.0 if index % 2 else 0.1
        for column in (opens, highs, lows, closes):
            column[index] *= factor
    stamps = np.datetime64("2020-01-01T00:00:00") + np.arange(count).astype("timedelta64[m]")
    table = pa.table(
        {
            "timestamp": np.datetime_as_string(stamps, unit="s", timezone="UTC"),
            "open": opens.round(4),
            "high": highs.round(4),
            "low": lows.round(4),
            "close": closes.round(4),
            "volume": rng.lognormal(8, 0.5, count).round(),
        }
    )
    pa_csv.write_csv(table, path)


def _validate_million(directory: Path) -> dict:
    from marketdata.bulk import check_columns, read_columns

    path = directory / "million.csv"
    _write_million(path)
    started = time.perf_counter()
    report = check_columns(read_columns(path), now=datetime(2030, 1, 1, tzinfo=UTC))
    return {"seconds": round(time.perf_counter() - started, 3), "counts": report["counts"]}


def main() -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        directory = Path(tmp)
        database_url = os.environ.get("DATABASE_URL", "")
        if not database_url.startswith("postgres"):
            database_url = DEFAULT_POSTGRES
        postgres = _run_on(database_url, directory / "pg")
        sqlite = _run_on(f"sqlite:///{directory / 'bench.sqlite3'}", directory / "sqlite")
        validation = _validate_million(directory)
    return {
        "instruments": INSTRUMENTS,
        "cycles": CYCLES,
        "ingest_500_cycle_s_postgres": postgres["cycle_s"],
        "ingest_500_cycle_s_sqlite": sqlite["cycle_s"],
        "ingest_cycle_max_s_postgres": postgres["cycle_max_s"],
        "ingest_cycle_max_s_sqlite": sqlite["cycle_max_s"],
        "bars_per_cycle": postgres["bars_per_cycle"],
        "validated_bars": VALIDATE_BARS,
        "validate_1m_bars_s": validation["seconds"],
        "validate_1m_counts": validation["counts"],
    }


if __name__ == "__main__":
    if "--cycles" in sys.argv:
        print(json.dumps(_cycles()))
    else:
        print(json.dumps(main()))
