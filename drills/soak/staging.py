"""The two-week staging run: the soak's checks on the live deployment, on the real clock.

``manage.py staging_run start`` records a running ``SoakRun`` in mode ``staging`` for the next
N sessions of the equity calendar. The hourly task ``operations.staging_run_report`` reads
this database (real providers, the Alpaca paper account, the real workers) and stores each
closed session's ``SoakDailyReport`` with the same figures a compressed soak has (bars
expected and stored, cycles, signals, orders, fills, duplicates, lost orders); after the last
session it adds the whole window's checks (PnL replayed from fills, open reconciliation
breaks, cycle latency) and stores the verdict, which the readiness item ``soak-passed`` reads.

Every step is idempotent: a session already reported is skipped, a report recorded twice is
updated in place, and a finished run is never reopened, so a retried or doubled task changes
nothing. Memory is not measured here: the deployment's own monitoring watches its processes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from common import clock
from drills.choices import SoakStatus
from drills.models import SoakRun
from drills.soak.collect import soak_collect, soak_figures
from drills.soak.invariants import soak_failures
from drills.soak.profile import Session, session_plan
from drills.soak.records import (
    soak_daily_report_record,
    soak_run_abort,
    soak_run_finish,
)
from marketdata.models import Instrument

STAGING = "staging"
# After a close: the last bar's orders fill or expire and ingest has the last bar.
SETTLE = timedelta(minutes=30)


class StagingRunError(Exception):
    """A staging run cannot start (one is running already) or be aborted (none is)."""


def staging_run_start(*, trading_days: int, first_session: str = "") -> SoakRun:
    """A running staging soak over ``trading_days`` sessions from ``first_session`` (default:
    today's session, or the next one)."""
    if trading_days < 1:
        raise StagingRunError("--trading-days must be at least 1")
    calendar = settings.MARKETDATA_EQUITY_CALENDAR
    first = first_session or clock.now().date().isoformat()
    plan = session_plan(first_session=first, trading_days=trading_days, calendar=calendar)
    running = staging_runs_running().first()
    if running is not None:
        raise StagingRunError(f"staging run #{running.pk} is still running")
    return SoakRun.objects.create(
        started_at=timezone.now(),
        trading_days=trading_days,
        instruments=Instrument.objects.filter(active=True).count(),
        speed=1.0,
        faults="none",
        first_session=plan[0].label,
        profile={
            "mode": STAGING,
            "calendar": calendar,
            "timeframe": settings.MARKETDATA_TIMEFRAME,
            "broker": settings.EXECUTION_BROKER,
            "providers": list(settings.MARKETDATA_PROVIDERS),
            "first_session": plan[0].label,
            "last_session": plan[-1].label,
        },
    )


def staging_runs() -> QuerySet[SoakRun]:
    return SoakRun.objects.filter(profile__mode=STAGING)


def staging_runs_running() -> QuerySet[SoakRun]:
    return staging_runs().filter(status=SoakStatus.RUNNING)


def staging_run_latest() -> SoakRun | None:
    return staging_runs().order_by("-started_at").first()


def staging_run_abort(*, reason: str) -> SoakRun:
    """End the running staging run without a verdict (it must start over)."""
    running = staging_runs_running().first()
    if running is None:
        raise StagingRunError("no staging run is running")
    return soak_run_abort(soak_run=running, error=f"aborted: {reason}")


def staging_runs_report(*, now: datetime | None = None) -> int:
    """Record every closed session of every running staging run, and the verdict of a run
    whose last session has closed. Returns how many daily reports were written."""
    now = now or clock.now()
    written = 0
    for run in staging_runs_running():
        plan = _plan(run)
        reported = {day.isoformat() for day in run.daily_reports.values_list("session", flat=True)}
        for session in plan:
            if session.close + SETTLE > now:
                break
            if session.label not in reported:
                figures = soak_figures(start=session.open, end=session.close)
                soak_daily_report_record(soak_run=run, session=session.label, figures=figures)
                written += 1
        if plan[-1].close + SETTLE <= now:
            _finish(run, plan)
    return written


def _plan(run: SoakRun) -> list[Session]:
    return session_plan(
        first_session=run.profile["first_session"],
        trading_days=run.trading_days,
        calendar=run.profile["calendar"],
    )


def _finish(run: SoakRun, plan: list[Session]) -> None:
    figures = soak_collect(start=plan[0].open, end=plan[-1].close, sessions=[])
    figures.pop("sessions")
    daily = {
        report.session.isoformat(): report.figures
        for report in run.daily_reports.order_by("session")
    }
    report = {
        "profile": run.profile,
        "first_session": plan[0].label,
        "last_session": plan[-1].label,
        **figures,
        "memory": "not measured: the deployment's monitoring watches its processes",
        "daily": daily,
    }
    soak_run_finish(soak_run=run, report=report, failures=soak_failures(report))
