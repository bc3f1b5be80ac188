"""The beat schedule: the loop's periodic tasks, created in django-celery-beat by name (what
operators change in admin is kept), and a periodic task sent now, outside its schedule."""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from celery import current_app
from django.conf import settings
from django.db import transaction
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from common.exceptions import NotFound

logger = structlog.get_logger(__name__)


@dataclass(frozen=True)
class ScheduledTask:
    name: str
    task: str
    every_seconds: int


def scheduled_tasks() -> list[ScheduledTask]:
    """The loop's periodic tasks: ingest, then predict and trade, once a bar each; the poll
    of order updates (the stream's fallback), the reconciliation with the broker and the
    ledger check of our books against their own fills; the stamp on expired temporary risk
    overrides; the daily audit chain verification; the hourly daily reports of a running
    staging soak."""
    return [
        ScheduledTask("ingest-bars", "marketdata.ingest_bars", settings.SCHEDULE_INGEST_SECONDS),
        ScheduledTask(
            "predict-and-trade", "execution.predict_and_trade", settings.SCHEDULE_TRADE_SECONDS
        ),
        ScheduledTask(
            "poll-order-updates",
            "execution.poll_order_updates",
            settings.SCHEDULE_ORDER_POLL_SECONDS,
        ),
        ScheduledTask(
            "reconcile-broker", "execution.reconcile", settings.SCHEDULE_RECONCILE_SECONDS
        ),
        ScheduledTask(
            "ledger-check", "execution.ledger_check", settings.SCHEDULE_LEDGER_CHECK_SECONDS
        ),
        ScheduledTask(
            "build-dataset", "models_registry.build_dataset", settings.SCHEDULE_DATASET_SECONDS
        ),
        ScheduledTask(
            "drift-reports", "models_registry.drift_reports", settings.SCHEDULE_DRIFT_SECONDS
        ),
        ScheduledTask(
            "expire-risk-overrides",
            "risk.expire_overrides",
            settings.SCHEDULE_RISK_OVERRIDES_SECONDS,
        ),
        ScheduledTask(
            "verify-audit-chain",
            # audit.tasks.verify_audit_chain, under the name deployed schedules already use.
            "operations.verify_audit_chain",
            settings.SCHEDULE_AUDIT_VERIFY_SECONDS,
        ),
        ScheduledTask(
            "staging-run-report",
            # drills.tasks.staging_run_report, under the name deployed schedules already use.
            "operations.staging_run_report",
            settings.SCHEDULE_STAGING_REPORT_SECONDS,
        ),
        # The daily backup and the weekly drill that restores it (operations.backups).
        ScheduledTask(
            "database-backup", "operations.database_backup", settings.SCHEDULE_BACKUP_SECONDS
        ),
        ScheduledTask(
            "restore-drill",
            "operations.restore_drill",
            settings.SCHEDULE_RESTORE_DRILL_SECONDS,
        ),
    ]


@transaction.atomic
def periodic_tasks_setup(*, reset_schedule: bool = False) -> list[PeriodicTask]:
    """Create missing periodic tasks by name; keep what operators changed in admin.

    Never deletes and recreates: an existing task keeps its interval and enabled flag unless
    ``reset_schedule`` asks for the configured interval again.
    """
    tasks = []
    for wanted in scheduled_tasks():
        # An operator may have created the same interval in admin: reuse the oldest one.
        interval = IntervalSchedule.objects.filter(
            every=wanted.every_seconds, period=IntervalSchedule.SECONDS
        ).order_by("pk").first() or IntervalSchedule.objects.create(
            every=wanted.every_seconds, period=IntervalSchedule.SECONDS
        )
        task, created = PeriodicTask.objects.get_or_create(
            name=wanted.name, defaults={"task": wanted.task, "interval": interval}
        )
        if not created:
            task.task = wanted.task
            if reset_schedule:
                task.interval, task.crontab, task.solar, task.clocked = interval, None, None, None
            task.save()
        tasks.append(task)
    return tasks


def periodic_task_run_now(*, name: str) -> str:
    """Send a periodic task's task to the workers at once; returns the Celery task id.

    Safe to use at any time because every scheduled task is idempotent.
    """
    try:
        task = PeriodicTask.objects.get(name=name)
    except PeriodicTask.DoesNotExist:
        raise NotFound(f"Unknown periodic task {name!r}") from None
    result = current_app.send_task(task.task, headers={"periodic_task_name": task.name})
    logger.info("periodic_task_run_now", periodic_task=name, task_id=result.id)
    return result.id
