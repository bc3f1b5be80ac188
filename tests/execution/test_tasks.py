"""The poll and reconciliation tasks through a real Celery worker, on the paper broker."""

from __future__ import annotations

from decimal import Decimal

import pytest

from execution import tasks
from execution.models import Order, ReconciliationRun
from execution.services import order_submit
from marketdata.models import Bar
from tests.execution.factories import StrategyFactory
from tests.integration.conftest import worker  # noqa: F401 - the real worker fixture

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_the_poll_task_fills_a_paper_order_and_the_reconcile_task_finds_no_break(
    history,
    next_bar,
    worker,  # noqa: F811
):
    instrument = history[0]
    bar = Bar.objects.filter(instrument=instrument).order_by("-timestamp").first()
    order = order_submit(
        strategy=StrategyFactory(name="task-desk", instruments=history), instrument=instrument,
        side="buy", quantity=Decimal("5"), reference_price=bar.close,
        bar_timestamp=bar.timestamp, manual=True, confirmed=True,
    )  # fmt: skip
    assert order.status == "new"
    next_bar()

    polled = tasks.poll_order_updates.delay().get(timeout=60)
    reconciled = tasks.reconcile.delay().get(timeout=60)

    assert polled == {"fills": 1, "updates": 0, "pending": 0}
    assert Order.objects.get(pk=order.pk).status == "filled"
    assert reconciled["succeeded"] is True and reconciled["breaks"] == 0
    assert ReconciliationRun.objects.get(pk=reconciled["run"]).broker == "paper"
