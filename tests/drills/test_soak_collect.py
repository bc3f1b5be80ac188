"""The soak's figures read from the database: the cycle latency counts only the window's runs;
the ledger invariants hold over the whole book."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django_celery_results.models import TaskResult

from drills.soak.collect import latencies, ledger_invariants
from drills.soak.invariants import soak_failures
from execution.models import Order, ReconciliationBreak
from tests.execution.factories import StrategyFactory

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


def test_an_order_filled_without_its_fills_is_a_ledger_break_that_fails_the_soak(instruments):
    Order.objects.create(
        client_order_id="lost-fill", strategy=StrategyFactory(), instrument=instruments[0],
        side="buy", quantity=Decimal(5), reference_price=Decimal(100), bar_timestamp=OPEN,
        status="filled", broker="paper",
    )  # fmt: skip

    figures = ledger_invariants()

    assert figures["ledger_breaks"] == 1
    assert [item["subject"] for item in figures["ledger_breaks_detail"]] == ["lost-fill"]
    assert ReconciliationBreak.objects.get().kind == "ledger"
    assert "ledger_breaks is 1, must be 0" in soak_failures(figures)
