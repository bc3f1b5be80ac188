from __future__ import annotations

from celery import shared_task

from execution.services import trading_cycle_run


@shared_task(name="execution.predict_and_trade")
def predict_and_trade() -> dict:
    """Periodic: fills, marks, then each strategy's champion signals → guard → broker."""
    return trading_cycle_run().as_dict()
