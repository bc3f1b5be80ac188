"""Operations writes: the beat schedule and the demo seed."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from decimal import Decimal

import structlog
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from common import clock
from common.exceptions import NotFound
from execution.models import Strategy
from marketdata.models import Instrument
from marketdata.services import bars_ingest
from marketdata.timeframes import last_complete_bar_end, timeframe_delta
from models_registry.models import RegisteredModel
from models_registry.selectors import model_version_champion
from models_registry.services import model_version_train
from operations.readiness import readiness_items_load
from operations.runbooks import runbooks_load

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
            # audit.tasks.verify_audit_chain, registered under its name from before the move.
            "operations.verify_audit_chain",
            settings.SCHEDULE_AUDIT_VERIFY_SECONDS,
        ),
        ScheduledTask(
            "staging-run-report",
            # drills.tasks.staging_run_report, registered under its name from before the move.
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


DEMO_INSTRUMENTS = [
    ("AAPL", "Apple Inc."),
    ("MSFT", "Microsoft Corp."),
    ("SPY", "SPDR S&P 500 ETF"),
]
DEMO_MODEL = "baseline-direction"
DEMO_STRATEGY = "baseline-long-flat"
DEMO_HISTORY_BARS = 1500


@dataclass
class SeedReport:
    operator_username: str
    operator_password: str | None  # only when the account was created by this run
    model_version: str


def _operator(username: str, password: str | None) -> str | None:
    user_model = get_user_model()
    if user_model.objects.filter(username=username).exists():
        return None
    password = password or secrets.token_urlsafe(12)
    user_model.objects.create_superuser(username=username, email="", password=password)
    return password


def demo_seed(
    *, operator_username: str = "operator", operator_password: str | None = None
) -> SeedReport:
    """Instruments, history, a champion baseline model, a strategy, the schedule and an
    operator account. Safe to run again: it only fills in what is missing.
    """
    instruments = [
        Instrument.objects.get_or_create(symbol=symbol, defaults={"name": name})[0]
        for symbol, name in DEMO_INSTRUMENTS
    ]
    timeframe = settings.MARKETDATA_TIMEFRAME
    end = last_complete_bar_end(clock.now(), timeframe)
    bars_ingest(start=end - DEMO_HISTORY_BARS * timeframe_delta(timeframe), end=end)
    registered = RegisteredModel.objects.filter(name=DEMO_MODEL).first()
    champion = (
        registered and model_version_champion(registered_model_id=registered.pk)
    ) or model_version_train(model_name=DEMO_MODEL, promote=True)
    strategy, created = Strategy.objects.get_or_create(
        name=DEMO_STRATEGY,
        defaults={
            "registered_model": champion.registered_model,
            "notional_per_trade": Decimal("10000"),
        },
    )
    if created:
        strategy.instruments.set(instruments)
    # Training takes market minutes on the demo's fast clock (12x: about 3 while the model fits,
    # the staleness limit is 3 bars): top the bars up, or the first trading cycle, which beat
    # sends with the first ingest, meets prices that went stale meanwhile and is refused.
    caught_up = last_complete_bar_end(clock.now(), timeframe)
    if caught_up > end:
        bars_ingest(start=end, end=caught_up)
    periodic_tasks_setup()
    runbooks_load(actor_name="seed")
    readiness_items_load()
    password = _operator(operator_username, operator_password)
    return SeedReport(operator_username, password, str(champion))


def periodic_task_run_now(*, name: str) -> str:
    """Send a periodic task's task to the workers at once; returns the Celery task id.

    Safe to use at any time because every scheduled task is idempotent.
    """
    from tradingops.celery import app as celery_app

    try:
        task = PeriodicTask.objects.get(name=name)
    except PeriodicTask.DoesNotExist:
        raise NotFound(f"Unknown periodic task {name!r}") from None
    result = celery_app.send_task(task.task, headers={"periodic_task_name": task.name})
    logger.info("periodic_task_run_now", periodic_task=name, task_id=result.id)
    return result.id
