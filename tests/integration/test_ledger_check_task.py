"""The periodic ledger check through a real Celery worker on the configured broker."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django_celery_beat.models import PeriodicTask

from execution.models import Order, ReconciliationBreak
from execution.tasks import ledger_check_task
from operations.schedule import periodic_tasks_setup
from tests.execution.factories import StrategyFactory

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
TASK_TIMEOUT_S = 60


def test_beat_schedules_the_ledger_check_and_the_worker_stores_its_break(
    instruments, frozen_clock, worker
):
    periodic_tasks_setup()
    periodic_tasks_setup()  # by name: a second setup adds nothing
    (scheduled,) = PeriodicTask.objects.filter(name="ledger-check")
    assert (scheduled.task, scheduled.interval.every) == ("execution.ledger_check", 60)
    Order.objects.create(
        client_order_id="lost-fill", strategy=StrategyFactory(), instrument=instruments[0],
        side="buy", quantity=Decimal(5), reference_price=Decimal(100),
        bar_timestamp=frozen_clock.now(), status="filled", broker="paper",
    )  # fmt: skip

    report = ledger_check_task.delay().get(timeout=TASK_TIMEOUT_S)

    assert (report["ledger_breaks"], report["orders_checked"]) == (1, 1)
    assert report["breaks"][0]["subject"] == "lost-fill"
    stored = ReconciliationBreak.objects.get(kind="ledger")
    assert (stored.client_order_id, stored.request_id) == ("lost-fill", report["request_id"])
