"""Render /metrics with 500 instruments and 10 strategies, and the cost of the telemetry
middleware (django-prometheus, django-structlog, request ID) on a request.

Runs on a throwaway test database of the configured kind. /metrics is scraped as Prometheus
does in production: with the monitoring token (``Authorization: Bearer``), METRICS_PUBLIC off.
Knobs: BENCH_INSTRUMENTS, BENCH_STRATEGIES, BENCH_SCRAPES, BENCH_REQUESTS (BENCH_SMOKE=1: tiny).
Prints one JSON object as its last line.
"""

from __future__ import annotations

import json
import logging
import os
import statistics
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tradingops.settings.test")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client, override_settings  # noqa: E402

from benchmarks.sizes import size  # noqa: E402
from common import clock  # noqa: E402
from common.clock import FrozenClock  # noqa: E402

INSTRUMENTS = size("BENCH_INSTRUMENTS", 500, 5)
STRATEGIES = size("BENCH_STRATEGIES", 10, 2)
SCRAPES = size("BENCH_SCRAPES", 50, 3)
REQUESTS = size("BENCH_REQUESTS", 400, 10)
BARS = 5
MONITORING_TOKEN = "bench-monitoring-token"  # noqa: S105 - a throwaway test database's
TELEMETRY_MIDDLEWARE = (
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    "django_structlog.middlewares.RequestMiddleware",
    "tradingops.middleware.RequestIdHeaderMiddleware",
)


def _seed(now: datetime) -> None:
    from execution.models import Position, Strategy
    from marketdata.models import Bar, Instrument
    from models_registry.models import RegisteredModel
    from operations.schedule import periodic_tasks_setup

    instruments = Instrument.objects.bulk_create(
        Instrument(symbol=f"S{i:04d}") for i in range(INSTRUMENTS)
    )
    price = Decimal("100")
    Bar.objects.bulk_create(
        Bar(
            instrument=instrument,
            timestamp=now - timedelta(minutes=m + 1),
            open=price,
            high=price,
            low=price,
            close=price,
            volume=1,
            source="bench",
            ingested_at=now,
        )
        for instrument in instruments
        for m in range(BARS)
    )
    model = RegisteredModel.objects.create(name="bench")
    for s in range(STRATEGIES):
        strategy = Strategy.objects.create(
            name=f"strategy-{s}", registered_model=model, notional_per_trade=Decimal("1000")
        )
        Position.objects.bulk_create(
            Position(
                strategy=strategy,
                instrument=i,
                quantity=1,
                average_price=price,
                unrealized_pnl=Decimal("1.5"),
            )
            for i in instruments[s::STRATEGIES][:20]
        )
    periodic_tasks_setup()


def _timed_get(client: Client, path: str, count: int, **headers: str) -> list[float]:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    return samples


def main() -> dict[str, float | int]:
    now = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    clock.set_clock(FrozenClock(now))
    _seed(now)
    client = Client(HTTP_HOST="localhost")
    with override_settings(MONITORING_TOKEN=MONITORING_TOKEN, METRICS_PUBLIC=False):
        scrape = _timed_get(client, "/metrics", SCRAPES, authorization=f"Bearer {MONITORING_TOKEN}")
    with_telemetry = _timed_get(client, "/health/live", REQUESTS)
    bare = [m for m in settings.MIDDLEWARE if m not in TELEMETRY_MIDDLEWARE]
    with override_settings(MIDDLEWARE=bare):
        without = _timed_get(Client(HTTP_HOST="localhost"), "/health/live", REQUESTS)
    return {
        "database": connection.vendor,
        "instruments": INSTRUMENTS,
        "strategies": STRATEGIES,
        "scrape_p50_ms": round(statistics.median(scrape), 2),
        "scrape_p99_ms": round(sorted(scrape)[int(0.99 * (len(scrape) - 1))], 2),
        "middleware_overhead_p50_ms": round(
            statistics.median(with_telemetry) - statistics.median(without), 3
        ),
    }


if __name__ == "__main__":
    logging.disable(logging.CRITICAL)
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        result = main()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    print(json.dumps(result))
