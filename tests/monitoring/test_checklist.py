"""Monitoring's item on the production-readiness checklist, which operations reads through its
registry without importing monitoring."""

from __future__ import annotations

import pytest
from django_celery_results.models import TaskResult

from operations.readiness import check_run
from operations.schedule import periodic_tasks_setup

pytestmark = pytest.mark.django_db


def test_periodic_tasks_healthy_fails_until_a_schedule_exists_then_passes_while_every_task_is_up():
    none_scheduled = check_run("periodic_tasks_healthy")
    periodic_tasks_setup()

    all_up = check_run("periodic_tasks_healthy")

    assert none_scheduled.status == "fail"
    assert "setup_periodic_tasks" in none_scheduled.evidence
    assert all_up.status == "pass"
    assert all_up.evidence.endswith("periodic tasks up")


def test_periodic_tasks_healthy_fails_naming_a_down_task():
    periodic_tasks_setup()
    for n in range(2):
        TaskResult.objects.create(
            task_id=f"t{n}",
            task_name="marketdata.ingest_bars",
            periodic_task_name="ingest-bars",
            status="FAILURE",
        )

    result = check_run("periodic_tasks_healthy")

    assert result.status == "fail"
    assert result.evidence == "ingest-bars: down"
