"""One bar of the loop for many instruments: ingest, then predict and trade.

Runs on a throwaway test database of the configured kind (SQLite by default, PostgreSQL when
DATABASE_URL says so) with the frozen project clock, so every cycle sees exactly one new bar.
Prints one JSON object: cycle times in milliseconds. Knobs: BENCH_INSTRUMENTS, BENCH_CYCLES
(BENCH_SMOKE=1: tiny).
"""

from __future__ import annotations

import json
import os
import statistics
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tradingops.settings.test")

import django

django.setup()

from django.db import connection  # noqa: E402

from benchmarks.sizes import size  # noqa: E402
from common import clock  # noqa: E402
from common.clock import FrozenClock  # noqa: E402

INSTRUMENTS = size("BENCH_INSTRUMENTS", 50, 2)
CYCLES = size("BENCH_CYCLES", 30, 2)
HISTORY_BARS = 300


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _seed(frozen: FrozenClock) -> None:
    from execution.models import Strategy
    from marketdata.models import Instrument
    from marketdata.services import bars_ingest
    from marketdata.timeframes import last_complete_bar_end
    from models_registry.services import model_version_train

    instruments = [Instrument.objects.create(symbol=f"B{i:04d}") for i in range(INSTRUMENTS)]
    end = last_complete_bar_end(frozen.now(), "1m")
    bars_ingest(start=end - timedelta(minutes=HISTORY_BARS), end=end)
    champion = model_version_train(model_name="bench", promote=True)
    strategy = Strategy.objects.create(
        name="bench",
        registered_model=champion.registered_model,
        notional_per_trade=Decimal("5000"),
    )
    strategy.instruments.set(instruments)


def main() -> dict[str, float]:
    from execution.services import trading_cycle_run
    from marketdata.services import bars_ingest

    frozen = FrozenClock(datetime(2026, 3, 2, 15, 0, 30, tzinfo=UTC))
    clock.set_clock(frozen)
    _seed(frozen)
    ingest_ms, trade_ms = [], []
    for _ in range(CYCLES):
        frozen.advance(timedelta(minutes=1))
        started = time.perf_counter()
        bars_ingest()
        ingest_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        trading_cycle_run()
        trade_ms.append((time.perf_counter() - started) * 1000)
    return {
        "database": connection.vendor,
        "instruments": INSTRUMENTS,
        "cycles": CYCLES,
        "ingest_cycle_p50_ms": round(statistics.median(ingest_ms), 2),
        "trade_cycle_p50_ms": round(statistics.median(trade_ms), 2),
        "trade_cycle_p99_ms": round(_percentile(trade_ms, 0.99), 2),
    }


if __name__ == "__main__":
    import logging

    logging.disable(logging.INFO)
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        result = main()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    print(json.dumps(result))
