"""The drills' readiness checks, registered with operations' checklist (``DrillsConfig.ready``):
a failure the team has not practised recently, or a soak that did not pass, blocks going live."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings

from common import clock
from drills.choices import SoakStatus
from drills.gamedays.scenarios import SCENARIO_NAMES
from drills.models import GameDay, SoakRun
from operations.choices import ReadinessStatus as Status
from operations.readiness import CheckResult, readiness_check_register


def _recent(at: datetime | None, max_age_days: int) -> bool:
    return at is not None and clock.now() - at <= timedelta(days=max_age_days)


def _scenario_problem(name: str, game_day: GameDay | None, max_age: int) -> str | None:
    if game_day is None:
        return f"{name}: never run"
    if game_day.passed is None:
        return f"{name}: skipped"
    if not game_day.passed:
        return f"{name}: failed (game day #{game_day.pk})"
    if not _recent(game_day.finished_at, max_age):
        return f"{name}: last passed more than {max_age} days ago"
    return None


def check_game_day_passed() -> CheckResult:
    """Every scenario's latest game day ran (not skipped) and passed within the age limit: a
    failure the team has not practised recently is not covered."""
    max_age = settings.OPERATIONS_GAME_DAY_MAX_AGE_DAYS
    latest = {
        game_day.scenario: game_day
        for game_day in GameDay.objects.filter(finished_at__isnull=False).order_by("started_at")
    }
    if not latest:
        return CheckResult(Status.FAIL, "no game day recorded yet (manage.py game_day --all)")
    problems = [
        problem
        for name in SCENARIO_NAMES
        if (problem := _scenario_problem(name, latest.get(name), max_age))
    ]
    if problems:
        return CheckResult(Status.FAIL, "; ".join(problems))
    return CheckResult(
        Status.PASS, f"all {len(SCENARIO_NAMES)} scenarios passed within {max_age} days"
    )


def check_soak_passed() -> CheckResult:
    """The latest finished soak run passed within the age limit."""
    max_age = settings.OPERATIONS_SOAK_MAX_AGE_DAYS
    run = (
        SoakRun.objects.exclude(status=SoakStatus.RUNNING)
        .filter(finished_at__isnull=False)
        .order_by("-finished_at")
        .first()
    )
    if run is None:
        return CheckResult(Status.FAIL, "no soak run recorded yet (manage.py soak)")
    at = f"{run.finished_at:%Y-%m-%d %H:%M} UTC"
    detail = f"soak run #{run.pk} ({run.trading_days} trading days) at {at}"
    if run.status != SoakStatus.PASSED:
        return CheckResult(Status.FAIL, f"{detail} {run.status}")
    if not _recent(run.finished_at, max_age):
        return CheckResult(Status.FAIL, f"{detail} is older than {max_age} days")
    return CheckResult(Status.PASS, f"{detail} passed")


def readiness_checks_register() -> None:
    readiness_check_register("game_day_passed", check_game_day_passed)
    readiness_check_register("soak_passed", check_soak_passed)
