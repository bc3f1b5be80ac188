from __future__ import annotations

from celery import shared_task

from marketdata.services import bars_ingest


@shared_task(name="marketdata.ingest_bars")
def ingest_bars() -> dict:
    """Periodic: pull the newest complete bars of every active instrument."""
    return bars_ingest().as_dict()
