"""Read-only views across every app for operators and the ops CLI."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from django_celery_results.models import TaskResult

from common import clock
from execution.models import Fill
from execution.selectors import daily_pnl, order_counts_by_status, pnl_totals
from marketdata.models import Bar, Instrument
from marketdata.selectors import data_health, newest_bar_times
from marketdata.timeframes import timeframe_delta
from models_registry.models import Signal
from models_registry.selectors import models_status
from monitoring.scheduler_health import TaskObservation, task_state
from risk.selectors import global_limits, kill_switch_get, risk_state_get


def _iso(moment: Any) -> str | None:
    return moment.isoformat() if moment else None


def _period(task: PeriodicTask) -> timedelta:
    """The interval between runs; crontab-like schedules count as daily for lateness."""
    every = getattr(task.schedule, "run_every", None)
    return every if isinstance(every, timedelta) and every > timedelta(0) else timedelta(days=1)


def _created_at(result: TaskResult) -> datetime:
    """When the worker recorded the run (django-celery-results' ``date_created``, a field
    celery-types' stub of TaskResult leaves out)."""
    created: datetime = result.date_created  # type: ignore[attr-defined]
    return created


def _observe(task: PeriodicTask) -> tuple[TaskObservation, TaskResult | None]:
    results = list(
        TaskResult.objects.filter(periodic_task_name=task.name).order_by("-date_created")[:5]
    )
    finished = [r for r in results if r.status not in ("STARTED", "PENDING", "RECEIVED")]
    success = (
        TaskResult.objects.filter(periodic_task_name=task.name, status="SUCCESS")
        .order_by("-date_done")
        .values_list("date_done", flat=True)
        .first()
    )
    observation = TaskObservation(
        enabled=task.enabled,
        period=_period(task),
        grace=timedelta(seconds=settings.SCHEDULER_GRACE_SECONDS),
        scheduled_since=task.date_changed,
        last_run_at=_created_at(results[0]) if results else None,
        last_success_at=success,
        recent_outcomes=tuple(r.status for r in finished),
    )
    return observation, (finished[0] if finished else None)


def periodic_task_status() -> list[dict[str, Any]]:
    """Each scheduled task: schedule, last run, outcome, duration, next run and state.

    Scheduler health is about real processes, so it is judged on wall-clock time.
    """
    now = timezone.now()
    rows = []
    for task in PeriodicTask.objects.exclude(task__startswith="celery.").order_by("name"):
        observation, last = _observe(task)
        rows.append(
            {
                "name": task.name,
                "task": task.task,
                "enabled": task.enabled,
                "schedule": str(task.schedule),
                "period_s": observation.period.total_seconds(),
                "last_run_at": _iso(observation.last_run_at),
                "last_outcome": last.status if last else None,
                "last_done_at": _iso(last.date_done) if last else None,
                "last_duration_s": (
                    (last.date_done - _created_at(last)).total_seconds() if last else None
                ),
                "last_success_at": _iso(observation.last_success_at),
                "next_run_at": _iso(observation.next_run_at),
                "state": task_state(observation, now),
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


def daily_loss_utilisation() -> dict[str, Any]:
    """The trading day's PnL against the global max daily loss."""
    day_start = clock.start_of_day(clock.now(), settings.RISK_TRADING_DAY_TIMEZONE)
    pnl = daily_pnl(since=day_start)
    limits = global_limits(now=clock.now())
    limit = limits.max_daily_loss if limits else None
    used = float(max(-pnl, Decimal(0)) / limit) if limit else None
    return {"daily_pnl": pnl, "max_daily_loss": limit, "utilisation": used}


def realized_pnl_series(*, since: datetime) -> list[tuple[float, float]]:
    """Cumulative realized PnL after each fill since ``since`` (Unix time, PnL)."""
    total = Decimal(0)
    points = []
    fills = Fill.objects.filter(filled_at__gte=since).order_by("filled_at", "id")
    for filled_at, realized in fills.values_list("filled_at", "realized_pnl"):
        total += realized
        points.append((filled_at.timestamp(), float(total)))
    return points


def cycle_latency_series(*, since: datetime) -> list[tuple[float, float]]:
    """Run time in seconds of each trading cycle since ``since`` (Unix time, seconds)."""
    runs = TaskResult.objects.filter(
        task_name="execution.predict_and_trade", status="SUCCESS", date_created__gte=since
    ).order_by("date_done")
    return [
        (done.timestamp(), (done - created).total_seconds())
        for created, done in runs.values_list("date_created", "date_done")
    ]


def data_health_detail() -> dict[str, Any]:
    """Providers' breaker states, each active instrument's newest bar age and staleness."""
    timeframe = settings.MARKETDATA_TIMEFRAME
    detail = data_health()
    now = clock.now()
    stale = set(detail["stale_instruments"])
    detail["instruments"] = {
        symbol: {
            "newest_bar_age_s": (now - newest - timeframe_delta(timeframe)).total_seconds(),
            "stale": symbol in stale,
        }
        for symbol, newest in newest_bar_times(timeframe=timeframe).items()
    }
    return detail


def risk_health_detail() -> dict[str, Any]:
    """Kill switch, trading states in force at each scope, and limit utilisation."""
    state = risk_state_get()
    now = clock.now()
    switch = kill_switch_get()
    return {
        "kill_switch": {
            "engaged": switch.engaged,
            "engaged_at": _iso(switch.kill_switch_engaged_at),
            "reason": switch.reason,
        },
        "trading_state": {
            # The kill switch halts everything whatever the global setting says.
            "global": "halted" if switch.engaged else state.global_state.in_force(now).name.lower(),
            "strategies": {
                k: v.in_force(now).name.lower() for k, v in state.strategy_states.items()
            },
            "instruments": {
                k: v.in_force(now).name.lower() for k, v in state.instrument_states.items()
            },
        },
        "daily_loss": daily_loss_utilisation(),
        "restricted_symbols": sorted(state.restricted_symbols),
    }


def models_health_detail() -> list[dict[str, Any]]:
    """Champion, challenger and shadow of each model with drift status (the status API's view)."""
    return models_status(live_window=settings.MODELS_LIVE_SIGNAL_WINDOW)
