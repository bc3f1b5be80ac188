"""Soak records in the operator's database (writes): a run, its daily reports, its verdict."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from drills.choices import SoakStatus
from drills.models import SoakDailyReport, SoakRun
from drills.soak.profile import SoakProfile


def soak_run_start(*, profile: SoakProfile, environment: dict) -> SoakRun:
    return SoakRun.objects.create(
        started_at=timezone.now(),
        trading_days=profile.trading_days,
        instruments=profile.instruments,
        speed=profile.clock_speed,
        faults=profile.faults,
        first_session=date.fromisoformat(profile.first_session),
        profile=profile.as_dict() | environment,
    )


@transaction.atomic
def soak_daily_report_record(*, soak_run: SoakRun, session: str, figures: dict) -> SoakDailyReport:
    """One session's figures; recording the same session again updates it (idempotent)."""
    report, _ = SoakDailyReport.objects.update_or_create(
        soak_run=soak_run,
        session=date.fromisoformat(session),
        defaults={
            "cycles_expected": figures["cycles_expected"],
            "cycles_run": figures["cycles_run"],
            "bars_expected": figures["bars_expected"],
            "bars_stored": figures["bars_stored"],
            "signals": figures["signals"],
            "orders": figures["orders"],
            "fills": figures["fills"],
            "realized_pnl": Decimal(figures["realized_pnl"]),
            "figures": figures,
        },
    )
    return report


def soak_run_finish(*, soak_run: SoakRun, report: dict, failures: list[str]) -> SoakRun:
    soak_run.finished_at = timezone.now()
    soak_run.report = report
    soak_run.failures = failures
    soak_run.status = SoakStatus.FAILED if failures else SoakStatus.PASSED
    soak_run.save()
    return soak_run


def soak_run_abort(*, soak_run: SoakRun, error: str) -> SoakRun:
    soak_run.finished_at = timezone.now()
    soak_run.status = SoakStatus.ABORTED
    soak_run.failures = [error]
    soak_run.save()
    return soak_run
