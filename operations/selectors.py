"""Read-only views across every app for operators and the ops CLI."""

from __future__ import annotations

from typing import Any

from django_celery_beat.models import PeriodicTask
from django_celery_results.models import TaskResult

from execution.models import Fill
from execution.selectors import order_counts_by_status, pnl_totals
from marketdata.models import Bar, Instrument
from models_registry.models import Signal
from risk.selectors import kill_switch_get


def _iso(moment: Any) -> str | None:
    return moment.isoformat() if moment else None


def periodic_task_status() -> list[dict[str, Any]]:
    """Each scheduled task with its last run and that run's outcome."""
    rows = []
    for task in PeriodicTask.objects.exclude(task__startswith="celery.").order_by("name"):
        last = (
            TaskResult.objects.filter(periodic_task_name=task.name).order_by("-date_done").first()
        )
        rows.append(
            {
                "name": task.name,
                "task": task.task,
                "enabled": task.enabled,
                "schedule": str(task.schedule),
                "last_run_at": _iso(task.last_run_at),
                "last_outcome": last.status if last else None,
                "last_done_at": _iso(last.date_done) if last else None,
            }
        )
    return rows


def ops_status() -> dict[str, Any]:
    """One snapshot of the whole loop: data, signals, orders, PnL, kill switch, schedule."""
    totals = pnl_totals()
    switch = kill_switch_get()
    return {
        "instruments": Instrument.objects.filter(active=True).count(),
        "bars": Bar.objects.count(),
        "signals": Signal.objects.count(),
        "orders_by_status": order_counts_by_status(),
        "fills": Fill.objects.count(),
        "open_positions": totals["open_positions"],
        "realized_pnl": str(totals["realized"]),
        "unrealized_pnl": str(totals["unrealized"]),
        "kill_switch": {
            "engaged": switch.engaged,
            "engaged_at": _iso(switch.kill_switch_engaged_at),
            "reason": switch.reason,
        },
        "periodic_tasks": periodic_task_status(),
    }
