"""The kill switch engaged through the API stops two separate Celery worker processes.

Two real ``celery worker`` processes (not threads of this process) take order tasks from the
Redis broker and decide through the guard against the PostgreSQL test database; the kill
switch is engaged through the API from this process. Afterwards neither worker approves an
order, and every open order is cancelled.

It needs PostgreSQL and Redis: two processes cannot share pytest's in-memory SQLite test
database, nor the kombu filesystem broker's per-run queue, so it skips on embedded defaults.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django_celery_results.models import TaskResult

from execution.choices import OPEN_STATUSES
from execution.models import Order
from execution.tasks import submit_order
from marketdata.models import Bar, Instrument
from risk.models import RiskDecision
from tests.execution.factories import StrategyFactory
from tradingops.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        not (
            settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
            and settings.CELERY_BROKER_URL.startswith("redis://")
        ),
        reason=(
            "needs DATABASE_URL on PostgreSQL and CELERY_BROKER_URL on Redis: two worker "
            "processes cannot share pytest's in-memory SQLite test database"
        ),
    ),
]
TASK_TIMEOUT_S = 60


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/"
        f"{db['NAME']}"
    )


@pytest.fixture
def two_workers():
    """Start two worker processes on this session's queue; stop them (by their pids) after."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tradingops.settings.test",
        "DATABASE_URL": _database_url(),  # the test database pytest-django created
    }
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "tradingops",
                "worker",
                "-P",
                "solo",
                "-Q",
                queue,
                "-n",
                f"risk-it-{n}@%h",
                "--without-gossip",
                "--without-mingle",
                "-l",
                "WARNING",
            ],
            cwd=ROOT,
            env=env,
        )
        for n in (1, 2)
    ]
    try:
        _wait_for_workers(2)
        yield workers
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()


def _wait_for_workers(count: int, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        replies = celery_app.control.ping(timeout=1.0) or []
        if len([r for r in replies if any(k.startswith("risk-it-") for k in r)]) >= count:
            return
    raise AssertionError(f"{count} workers did not answer a ping within {timeout_s}s")


def _submit_many(strategy, instrument, start: int, n: int) -> list:
    base = datetime.now(tz=UTC)
    results = [
        submit_order.delay(
            strategy_id=strategy.pk,
            instrument_id=instrument.pk,
            side="buy",
            quantity=str(i + 1),  # distinct quantities: the duplicate check stays out of the way
            # client order ids have second resolution: one second apart, one order each
            placed_at=(base + timedelta(seconds=i)).isoformat(),
        )
        for i in range(start, start + n)
    ]
    return [result.get(timeout=TASK_TIMEOUT_S) for result in results]


def _workers_that_ran(task_ids: list[str]) -> set[str]:
    return set(TaskResult.objects.filter(task_id__in=task_ids).values_list("worker", flat=True))


def test_the_kill_switch_through_the_api_stops_both_worker_processes(
    two_workers, operator, api_client
):
    instrument = Instrument.objects.create(symbol="KSW", name="kill switch drill")
    # A fresh price at the real time: the workers run on the wall clock, not the test's.
    Bar.objects.create(
        instrument=instrument, timeframe="1m",
        timestamp=datetime.now(tz=UTC).replace(second=0, microsecond=0) - timedelta(minutes=1),
        open=Decimal(10), high=Decimal(10), low=Decimal(10), close=Decimal(10),
        volume=Decimal(100), source="test", ingested_at=datetime.now(tz=UTC),
    )  # fmt: skip
    strategy = StrategyFactory(name="kill-switch-drill", instruments=[instrument])

    before = _submit_many(strategy, instrument, 0, 12)
    assert {r["status"] for r in before} == {"new"}
    decided_before = RiskDecision.objects.count()

    api_client.force_authenticate(operator)
    response = api_client.post(
        "/api/v1/risk/kill-switch/engage/", {"reason": "two-worker drill"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["orders_cancelled"] == 12
    seen = set(TaskResult.objects.values_list("task_id", flat=True))
    after = _submit_many(strategy, instrument, 100, 12)
    assert {r["status"] for r in after} == {"rejected"}
    after_ids = set(TaskResult.objects.values_list("task_id", flat=True)) - seen
    assert len(_workers_that_ran(list(after_ids))) == 2, "both worker processes must decide"
    later = RiskDecision.objects.order_by("id")[decided_before:]
    assert len(later) == 12
    assert not any(d.approved for d in later)
    assert all("kill_switch_engaged" in [r["code"] for r in d.reasons] for d in later)
    assert not Order.objects.filter(status__in=OPEN_STATUSES).exists()
    assert Order.objects.filter(status="canceled").count() == 12
