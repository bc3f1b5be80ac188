"""One actor of the books race (tests/execution/test_books_concurrency.py), as its own process.

``python -m tests.execution.books_race ROLE SECONDS`` on the database that DATABASE_URL names:
- ``ingest`` lands the next bar of every instrument, one minute at a time, in a shuffled
  instrument order, as the ingest task does beside the pollers;
- ``poll`` runs ``order_updates_poll`` in a loop, as the poll task and the trading cycle do;
- ``stream`` delivers each paper fill as a trade update carrying its fill, then the same
  execution again and a stale ``new`` after it: duplicates and out-of-order events;
- ``summary`` prints the books as one JSON line.
Every actor stops when every order is final or its time is up, and exits non-zero on any
exception, so a lock error or a crash fails the test too.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tradingops.settings.test")
django.setup()

from django.db.models import Sum  # noqa: E402

from execution.brokers.contract import OrderUpdate  # noqa: E402
from execution.models import Fill, Order, Position  # noqa: E402
from execution.services import order_update_apply, order_updates_poll  # noqa: E402
from execution.services.broker import get_broker  # noqa: E402
from marketdata.models import Bar, Instrument  # noqa: E402

OPEN = ("pending_new", "accepted", "new", "partially_filled", "pending_cancel")


def _all_final() -> bool:
    return not Order.objects.filter(status__in=OPEN).exists()


def _ingest(deadline: float) -> None:
    instruments = list(Instrument.objects.all())
    newest = Bar.objects.latest("timestamp").timestamp
    while not _all_final() and time.monotonic() < deadline:
        newest += timedelta(minutes=1)
        random.shuffle(instruments)
        for instrument in instruments:
            Bar.objects.create(
                instrument=instrument, timeframe="1m", timestamp=newest, open=Decimal("100.00"),
                high=Decimal("101"), low=Decimal("99"), close=Decimal("100.5"),
                volume=Decimal("1000"), source="race", ingested_at=newest,
            )  # fmt: skip
            time.sleep(random.uniform(0, 0.05))


def _poll(deadline: float) -> None:
    while not _all_final() and time.monotonic() < deadline:
        order_updates_poll()


def _stream(deadline: float) -> None:
    broker = get_broker()
    while not _all_final() and time.monotonic() < deadline:
        for fill in broker.fills():
            remote = broker.order_by_client_id(fill.client_order_id)
            update = OrderUpdate(
                event="fill", order=remote, at=fill.filled_at, source="stream",
                event_id=fill.broker_fill_id, fill=fill,
            )  # fmt: skip
            order_update_apply(update=update)
            order_update_apply(update=replace(update, event_id=f"{fill.broker_fill_id}-again"))
            stale = replace(remote, status="new", filled_quantity=Decimal(0))
            order_update_apply(
                update=replace(update, event="new", order=stale, fill=None,
                               event_id=f"{fill.broker_fill_id}-stale-new")
            )  # fmt: skip


def _summary() -> None:
    orders = [
        {
            "id": order.client_order_id,
            "status": order.status,
            "quantity": str(order.quantity),
            "filled_quantity": str(order.filled_quantity),
            "fills_sum": str(order.fills.aggregate(s=Sum("quantity"))["s"] or Decimal(0)),
            "fills": order.fills.count(),
        }
        for order in Order.objects.order_by("client_order_id")
    ]
    positions = {
        f"{p.strategy_id}:{p.instrument_id}": str(p.quantity) for p in Position.objects.all()
    }
    signed = {}
    for fill in Fill.objects.select_related("order"):
        key = f"{fill.order.strategy_id}:{fill.order.instrument_id}"
        qty = fill.quantity if fill.order.side == "buy" else -fill.quantity
        signed[key] = str(Decimal(signed.get(key, "0")) + qty)
    print(json.dumps({"orders": orders, "positions": positions, "signed_fills": signed}))


def main() -> None:
    role, seconds = sys.argv[1], float(sys.argv[2])
    random.seed(f"{role}-{os.getpid()}")
    deadline = time.monotonic() + seconds
    if role == "summary":
        _summary()
        return
    {"ingest": _ingest, "poll": _poll, "stream": _stream}[role](deadline)


if __name__ == "__main__":
    main()
