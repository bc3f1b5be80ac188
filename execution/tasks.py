from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from celery import shared_task
from django.conf import settings

from execution.models import Strategy
from execution.services import (
    ledger_check,
    order_submit,
    order_updates_poll,
    reconciliation_run,
    trading_cycle_run,
)
from marketdata.models import Instrument
from marketdata.selectors import bar_latest


@shared_task(name="execution.predict_and_trade")
def predict_and_trade() -> dict:
    """Periodic: fills, marks, then each strategy's champion signals → guard → broker."""
    return trading_cycle_run().as_dict()


@shared_task(name="execution.poll_order_updates")
def poll_order_updates() -> dict:
    """Periodic: the fallback for the trade-update stream (pending sends, fills, states)."""
    return order_updates_poll().as_dict()


@shared_task(name="execution.reconcile")
def reconcile() -> dict:
    """Periodic: compare open orders, positions and cash with the broker."""
    run = reconciliation_run()
    return {"run": run.pk, "succeeded": run.succeeded, "breaks": run.breaks_found}


@shared_task(name="execution.ledger_check")
def ledger_check_task() -> dict:
    """Periodic: check the books' invariants (orders, fills, positions, cash)."""
    return ledger_check().as_dict()


@shared_task(name="execution.submit_order")
def submit_order(
    *,
    strategy_id: int,
    instrument_id: int,
    side: str,
    quantity: str,
    placed_at: str,
    manual: bool = True,
    confirmed: bool = False,
) -> dict:
    """Submit one order through the risk guard at the instrument's newest price.

    ``placed_at`` (ISO time) is the order's cause: the same value gives the same
    ``client_order_id``, so a redelivered task does not order twice.
    """
    instrument = Instrument.objects.get(pk=instrument_id)
    bar = bar_latest(instrument_id=instrument_id, timeframe=settings.MARKETDATA_TIMEFRAME)
    if bar is None:
        return {"status": "no_price"}
    order = order_submit(
        strategy=Strategy.objects.get(pk=strategy_id),
        instrument=instrument,
        side=side,
        quantity=Decimal(quantity),
        reference_price=bar.close,
        bar_timestamp=datetime.fromisoformat(placed_at),
        manual=manual,
        confirmed=confirmed,
    )
    return {"status": order.status, "client_order_id": order.client_order_id}
