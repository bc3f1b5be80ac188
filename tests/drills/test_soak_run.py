"""A short soak end to end: real processes (web, worker, beat, fake providers, Prometheus) on
the session clock for one trading day; the report's invariants and the stored records."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from drills.models import SoakDailyReport, SoakRun


@pytest.mark.django_db
def test_a_one_day_soak_loses_and_doubles_nothing_and_its_pnl_matches(capsys):
    call_command(
        "soak",
        "--trading-days=1",
        "--instruments=2",
        "--history-sessions=10",
        "--json",
    )

    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["passed"] is True, report["failures"]
    assert report["duplicate_orders"] == 0
    assert report["lost_orders"] == 0
    assert report["reconciliation_breaks_open"] == 0
    assert report["ledger_breaks"] == 0
    assert report["pnl_matches"] is True
    assert report["realized_pnl_recomputed"] == report["realized_pnl_stored"]
    assert report["bars_expected"] == 2 * 26  # two instruments, 26 fifteen-minute bars
    assert report["missed_bars"] == report["bars_expected"] - report["bars_stored"]
    assert 0 < report["cycles_run"] <= report["cycles_expected"] == 26
    assert report["signals"] > 0
    assert report["alerts_evaluated_by"] == "prometheus"
    assert {"web", "worker", "beat"} <= set(report["memory"])
    run = SoakRun.objects.get()
    assert run.status == "passed"
    assert run.report["bars_stored"] == report["bars_stored"]
    daily = SoakDailyReport.objects.get(soak_run=run)
    assert str(daily.session) == "2026-03-30"
    assert daily.bars_expected == 52
