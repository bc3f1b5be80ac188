"""The soak's figures read from the database: the cycle latency counts only the window's runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django_celery_results.models import TaskResult

from operations.soak.collect import latencies

pytestmark = pytest.mark.django_db

OPEN = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)
CLOSE = datetime(2026, 3, 2, 21, 0, tzinfo=UTC)


def _cycle(task_id: str, started: datetime, seconds: float, status: str = "SUCCESS") -> None:
    TaskResult.objects.create(
        task_id=task_id, task_name="execution.predict_and_trade", status=status
    )
    # Both stamps are set by the database on save; a run's are written as they were.
    TaskResult.objects.filter(task_id=task_id).update(
        date_created=started, date_done=started + timedelta(seconds=seconds)
    )


def test_the_slowest_cycle_is_the_slowest_of_the_window_only():
    _cycle("in-window", OPEN + timedelta(hours=2), 2.5)
    _cycle("acts-on-the-last-bar", CLOSE + timedelta(seconds=30), 3.0)
    _cycle("the-day-before", OPEN - timedelta(days=1), 40.0)
    _cycle("next-morning", CLOSE + timedelta(hours=17), 50.0)
    _cycle("failed-in-window", OPEN + timedelta(hours=1), 60.0, status="FAILURE")

    found = latencies(start=OPEN, end=CLOSE)

    assert found["max_cycle_latency_s"] == 3.0
    assert found["cycle_task_runs"] == 2
