"""GET /api/v1/models/status with 10 strategies, and resolving + loading a champion.

Runs in-process (Django test client) on a throwaway test database of the configured kind,
with the frozen project clock. Each strategy trades its own model with a champion; half also
have a shadow; three cycles of signals give the live figures something to score.

Figures (milliseconds):
- status_p50_ms / status_p99_ms: a full build of the body (cache cleared before each call);
- status_cached_p50_ms / status_cached_p99_ms: unchanged data, body from the cache;
- status_304_p50_ms: a poll with If-None-Match that answers 304;
- champion_load_p50_ms: alias resolve + model load with a warm in-process model cache.
MLflow's alias resolve + pyfunc.load_model is not compared: mlflow is not installed here.
Knobs: BENCH_STRATEGIES, BENCH_CALLS (BENCH_SMOKE=1: tiny).
"""

from __future__ import annotations

import importlib.util
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

STRATEGIES = size("BENCH_STRATEGIES", 10, 2)
CALLS = size("BENCH_CALLS", 200, 5)
HISTORY_BARS = 300


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _seed(frozen: FrozenClock) -> None:
    from execution.models import Strategy
    from execution.services import trading_cycle_run
    from marketdata.models import Instrument
    from marketdata.services import bars_ingest
    from marketdata.timeframes import last_complete_bar_end
    from models_registry.services import model_version_alias_set, model_version_train

    instruments = [Instrument.objects.create(symbol=s) for s in ("AAPL", "MSFT", "SPY")]
    end = last_complete_bar_end(frozen.now(), "1m")
    bars_ingest(start=end - timedelta(minutes=HISTORY_BARS), end=end)
    for i in range(STRATEGIES):
        champion = model_version_train(model_name=f"model-{i}", promote=True)
        if i % 2 == 0:
            shadow = model_version_train(model_name=f"model-{i}", params={"C": 0.1})
            model_version_alias_set(model_version=shadow, alias="shadow", actor=None, reason="b")
        strategy = Strategy.objects.create(
            name=f"strategy-{i}",
            registered_model=champion.registered_model,
            notional_per_trade=Decimal("5000"),
        )
        strategy.instruments.set(instruments)
    for _ in range(3):
        trading_cycle_run()
        frozen.advance(timedelta(minutes=1))
        bars_ingest()


def _timed(call: object, calls: int = CALLS) -> list[float]:
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        call()  # type: ignore[operator]
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def _status_figures() -> dict[str, float]:
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.create_user("bench"))
    url = "/api/v1/models/status"
    etag = client.get(url)["ETag"]

    def cold() -> None:
        cache.clear()
        assert client.get(url).status_code == 200

    built = _timed(cold)
    cached = _timed(lambda: client.get(url))
    not_modified = _timed(lambda: client.get(url, HTTP_IF_NONE_MATCH=etag))
    return {
        "status_p50_ms": round(statistics.median(built), 2),
        "status_p99_ms": round(_percentile(built, 0.99), 2),
        "status_cached_p50_ms": round(statistics.median(cached), 2),
        "status_cached_p99_ms": round(_percentile(cached, 0.99), 2),
        "status_304_p50_ms": round(statistics.median(not_modified), 2),
    }


def _champion_load_ms() -> float:
    from models_registry.models import RegisteredModel
    from models_registry.selectors import model_version_champion
    from models_registry.services import model_version_load

    registered_id = RegisteredModel.objects.get(name="model-0").pk

    def resolve_and_load() -> None:
        model_version_load(model_version_champion(registered_model_id=registered_id))

    resolve_and_load()  # warm the in-process model cache
    return round(statistics.median(_timed(resolve_and_load)), 3)


def _mlflow_note() -> str:
    # MLflow is not a dependency; its side-by-side figure is left for an environment with it.
    installed = importlib.util.find_spec("mlflow") is not None
    return "installed but comparison not implemented" if installed else "not installed"


def main() -> dict:
    frozen = FrozenClock(datetime(2026, 3, 2, 15, 0, 30, tzinfo=UTC))
    clock.set_clock(frozen)
    _seed(frozen)
    return {
        "database": connection.vendor,
        "strategies": STRATEGIES,
        "calls": CALLS,
        **_status_figures(),
        "champion_load_p50_ms": _champion_load_ms(),
        "mlflow": _mlflow_note(),
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
