"""A rollback reaches a running Celery worker at its next cycle (no restart, no cache flush)."""

from __future__ import annotations

from datetime import timedelta

import celery.contrib.testing.tasks  # noqa: F401 - registers celery.ping for start_worker
import pytest
from celery.contrib.testing.worker import start_worker

from execution.tasks import predict_and_trade
from marketdata.tasks import ingest_bars
from models_registry.models import Signal
from models_registry.services import (
    model_version_promote,
    model_version_rollback,
    model_version_train,
)
from models_registry.tasks import build_dataset
from tradingops.celery import app as celery_app

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
TASK_TIMEOUT_S = 60


@pytest.fixture
def worker():
    with start_worker(
        celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30
    ) as running:
        yield running


def newest_signal_versions() -> set[int]:
    newest = Signal.objects.latest("bar_timestamp").bar_timestamp
    return set(
        Signal.objects.filter(bar_timestamp=newest, shadow=False).values_list(
            "model_version", flat=True
        )
    )


def test_the_worker_trades_the_restored_champion_on_the_cycle_after_a_rollback(
    strategy, champion, frozen_clock, worker, settings
):
    settings.MODELS_GATE_REQUIRE_APPROVAL = False
    settings.MODELS_GATE_MIN_AUC = 0.0
    settings.MODELS_GATE_METRIC_TOLERANCE = 1.0
    settings.MODELS_GATE_MAX_BACKTEST_DRAWDOWN = 1.0
    candidate = model_version_train(model_name=champion.registered_model.name, params={"C": 0.05})
    model_version_promote(model_version=candidate, reason="new champion")
    predict_and_trade.delay().get(timeout=TASK_TIMEOUT_S)
    assert newest_signal_versions() == {candidate.pk}

    model_version_rollback(registered_model=strategy.registered_model, reason="bad live results")
    frozen_clock.advance(timedelta(minutes=1))
    ingest_bars.delay().get(timeout=TASK_TIMEOUT_S)
    predict_and_trade.delay().get(timeout=TASK_TIMEOUT_S)

    assert newest_signal_versions() == {champion.pk}


def test_the_dataset_task_snapshots_through_the_worker(history, worker):
    result = build_dataset.delay().get(timeout=TASK_TIMEOUT_S)

    assert result["rows"] > 0 and len(result["sha256"]) == 64
