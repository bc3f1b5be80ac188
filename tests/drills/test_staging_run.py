"""The two-week staging soak on the live database: daily reports of closed sessions from the
hourly task, idempotent, and the verdict after the last session."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from drills.models import SoakDailyReport, SoakRun
from drills.soak.staging import StagingRunError, staging_run_start, staging_runs_report
from marketdata.services import bars_ingest
from operations.readiness import check_run

pytestmark = pytest.mark.django_db

# The frozen clock stands on Monday 2 March 2026 at 14:00 in New York (19:00 UTC).
MONDAY_CLOSE = datetime(2026, 3, 2, 21, 0, tzinfo=UTC)
TUESDAY_CLOSE = datetime(2026, 3, 3, 21, 0, tzinfo=UTC)


def _at(frozen_clock, moment: datetime) -> None:
    frozen_clock.advance(moment - frozen_clock.now())


def test_closed_sessions_get_one_daily_report_each_and_the_run_a_verdict(
    frozen_clock, instruments, provider
):
    run = staging_run_start(trading_days=2)
    before_the_close = staging_runs_report()
    _at(frozen_clock, MONDAY_CLOSE.replace(minute=29))
    bars_ingest(provider=provider, start=datetime(2026, 3, 2, 14, 30, tzinfo=UTC), end=MONDAY_CLOSE)
    inside_the_settle = staging_runs_report()
    _at(frozen_clock, MONDAY_CLOSE.replace(minute=31))
    first = staging_runs_report()
    again = staging_runs_report()
    monday = SoakDailyReport.objects.get(soak_run=run)
    _at(frozen_clock, TUESDAY_CLOSE.replace(minute=31))
    second = staging_runs_report()
    run.refresh_from_db()

    assert run.profile["first_session"] == "2026-03-02"
    assert run.profile["last_session"] == "2026-03-03"
    assert [before_the_close, inside_the_settle, first, again, second] == [0, 0, 1, 0, 1]
    assert str(monday.session) == "2026-03-02"
    assert monday.bars_expected == 3 * 390  # three instruments, a full session of minutes
    assert monday.bars_stored == 3 * 390
    assert monday.figures["duplicate_orders"] == monday.figures["lost_orders"] == 0
    assert SoakDailyReport.objects.filter(soak_run=run).count() == 2
    # No strategy traded: bars alone do not make a soak pass.
    assert run.status == "failed"
    assert "no trading cycle ran" in run.failures
    assert run.report["missed_bars"] == 3 * 390  # Tuesday's bars were never ingested
    assert set(run.report["daily"]) == {"2026-03-02", "2026-03-03"}
    assert check_run("soak_passed").status == "fail"


def test_only_one_staging_run_at_a_time_and_a_finished_one_is_never_reopened(
    frozen_clock, instruments
):
    run = staging_run_start(trading_days=1)
    with pytest.raises(StagingRunError, match=f"#{run.pk} is still running"):
        staging_run_start(trading_days=1)
    _at(frozen_clock, MONDAY_CLOSE.replace(minute=31))
    staging_runs_report()
    finished_at = SoakRun.objects.get(pk=run.pk).finished_at

    _at(frozen_clock, TUESDAY_CLOSE)
    staging_runs_report()

    assert SoakRun.objects.get(pk=run.pk).finished_at == finished_at
    assert staging_run_start(trading_days=1).pk != run.pk  # the finished one no longer blocks


def test_the_command_starts_reports_shows_and_aborts(frozen_clock, instruments, capsys):
    call_command("staging_run", "start", "--trading-days=3", "--first-session=2026-03-06")
    started = capsys.readouterr().out
    with pytest.raises(CommandError, match="still running"):
        call_command("staging_run", "start")
    call_command("staging_run", "status")
    status = json.loads(capsys.readouterr().out)
    call_command("staging_run", "abort", "--reason=provider contract changed")
    aborted = SoakRun.objects.get()

    assert "3 sessions 2026-03-06 to 2026-03-10" in started  # Friday, then Monday, Tuesday
    assert status[0]["status"] == "running" and status[0]["daily"] == []
    assert aborted.status == "aborted"
    assert aborted.failures == ["aborted: provider contract changed"]
    with pytest.raises(CommandError, match="no staging run is running"):
        call_command("staging_run", "abort", "--reason=again")
