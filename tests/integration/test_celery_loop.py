"""The whole loop through a real Celery worker on the configured broker.

Embedded defaults: kombu's filesystem transport and SQLite. CI also runs this on Redis and
PostgreSQL (CELERY_BROKER_URL, DATABASE_URL). The worker runs in a thread of this process,
so it shares the frozen clock; tasks travel through the broker and results come back
through the database result backend.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django_celery_results.models import TaskResult

from execution.models import Fill, Order, Position
from execution.tasks import predict_and_trade
from marketdata.models import Bar
from marketdata.tasks import ingest_bars
from models_registry.models import Signal
from risk.models import RiskDecision
from risk.services import kill_switch_engage

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
TASK_TIMEOUT_S = 60


def _run(task) -> dict:
    return task.delay().get(timeout=TASK_TIMEOUT_S)


def test_ingest_predict_and_trade_run_end_to_end_through_the_worker(strategy, frozen_clock, worker):
    from datetime import timedelta

    bars_before = Bar.objects.count()
    frozen_clock.advance(timedelta(minutes=1))

    ingested = _run(ingest_bars)
    first_cycle = _run(predict_and_trade)
    frozen_clock.advance(timedelta(minutes=1))
    _run(ingest_bars)
    second_cycle = _run(predict_and_trade)

    assert ingested["stored"] == {"AAPL": 1, "MSFT": 1, "SPY": 1}
    assert Bar.objects.count() == bars_before + 6
    assert Signal.objects.count() == 6
    placed = sum(first_cycle["orders"].values())
    assert placed > 0, "fixture data must give at least one up-call"
    assert second_cycle["fills"] == placed
    assert Order.objects.filter(status="filled").count() == placed
    assert Fill.objects.count() == placed
    for position in Position.objects.exclude(quantity=0):
        assert position.unrealized_pnl == position.quantity * (
            position.mark_price - position.average_price
        )
    assert Position.objects.exclude(quantity=0).count() >= 1
    assert TaskResult.objects.filter(status="SUCCESS").count() == 4


def test_the_same_cycle_delivered_twice_orders_once(strategy, worker):
    first, second = predict_and_trade.delay(), predict_and_trade.delay()
    first.get(timeout=TASK_TIMEOUT_S)
    second.get(timeout=TASK_TIMEOUT_S)

    up_calls = Signal.objects.filter(direction="up").count()
    assert Order.objects.count() == up_calls
    assert RiskDecision.objects.count() == up_calls


def test_after_the_kill_switch_the_worker_submits_nothing_and_records_rejections(
    strategy, operator, worker
):
    kill_switch_engage(actor=operator, reason="integration halt")

    report = _run(predict_and_trade)

    assert report["orders"] == {"rejected": Signal.objects.filter(direction="up").count()}
    assert not Order.objects.exclude(status="rejected").exists()
    assert RiskDecision.objects.filter(approved=True).count() == 0
    assert all(
        "kill_switch_engaged" in [r["code"] for r in d.reasons] for d in RiskDecision.objects.all()
    )
    assert Decimal(0) == sum((p.quantity for p in Position.objects.all()), Decimal(0))
