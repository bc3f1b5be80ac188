"""The drills' readiness checks, as operations' checklist runs them: registered by the drills
app, judged on its records."""

from __future__ import annotations

from datetime import timedelta

import pytest

from drills.gamedays.scenarios import SCENARIO_NAMES
from drills.models import GameDay, SoakRun
from operations.readiness import check_run

pytestmark = pytest.mark.django_db


def _game_day(scenario: str, passed: bool | None, at) -> GameDay:
    return GameDay.objects.create(
        scenario=scenario, started_at=at, finished_at=at, passed=passed, expectations={}
    )


def test_game_days_pass_only_when_every_scenario_latest_run_passed_recently(settings, frozen_clock):
    none_yet = check_run("game_day_passed")
    now = frozen_clock.now()
    for name in SCENARIO_NAMES[1:]:
        _game_day(name, True, now)
    one_never_run = check_run("game_day_passed")
    _game_day(SCENARIO_NAMES[0], False, now - timedelta(hours=1))
    _game_day(SCENARIO_NAMES[0], True, now)
    all_passed = check_run("game_day_passed")
    _game_day(SCENARIO_NAMES[1], None, now + timedelta(minutes=1))
    latest_skipped = check_run("game_day_passed")
    frozen_clock.advance(timedelta(days=settings.OPERATIONS_GAME_DAY_MAX_AGE_DAYS + 1))
    too_old = check_run("game_day_passed")

    assert none_yet.status == "fail" and "no game day recorded" in none_yet.evidence
    assert one_never_run.status == "fail"
    assert one_never_run.evidence == f"{SCENARIO_NAMES[0]}: never run"
    assert all_passed.status == "pass"  # the earlier failure was followed by a pass
    assert latest_skipped.status == "fail"
    assert latest_skipped.evidence == f"{SCENARIO_NAMES[1]}: skipped"
    assert too_old.status == "fail" and "last passed more than" in too_old.evidence


def test_the_latest_finished_soak_run_decides(settings, frozen_clock):
    def soak(status: str, finished_minutes_ago: int | None) -> SoakRun:
        now = frozen_clock.now()
        return SoakRun.objects.create(
            started_at=now - timedelta(hours=1),
            finished_at=None
            if finished_minutes_ago is None
            else now - timedelta(minutes=finished_minutes_ago),
            status=status,
            trading_days=14,
            instruments=3,
            speed=450.0,
            first_session="2026-03-30",
        )

    none_yet = check_run("soak_passed")
    soak("failed", 30)
    failed = check_run("soak_passed")
    soak("passed", 10)
    soak("running", None)  # still running: the finished one decides
    passed = check_run("soak_passed")
    frozen_clock.advance(timedelta(days=settings.OPERATIONS_SOAK_MAX_AGE_DAYS + 1))
    too_old = check_run("soak_passed")

    assert none_yet.status == "fail" and "no soak run recorded" in none_yet.evidence
    assert failed.status == "fail" and failed.evidence.endswith("failed")
    assert passed.status == "pass" and "14 trading days" in passed.evidence
    assert too_old.status == "fail" and "older than" in too_old.evidence
