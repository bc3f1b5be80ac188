"""Drift reports of champions against recent bars, and the drift_report command on files."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from prometheus_client import REGISTRY

from execution.services import trading_cycle_run
from models_registry.models import DriftReport
from models_registry.services import drift_report_create
from models_registry.tasks import drift_reports
from tests.models_registry.conftest import make_the_newest_bars_zigzag

pytestmark = pytest.mark.django_db


def test_a_champion_on_its_own_recent_data_reports_no_drift(strategy, champion, next_bar):
    trading_cycle_run()
    next_bar()
    trading_cycle_run()

    report = drift_report_create(model_version=champion)

    assert report.status in {"ok", "warn"}
    assert report.drift_share < 0.5
    assert report.reference_rows == champion.training_run.dataset_snapshot.row_count
    assert report.current_rows > 0
    assert {f["column"] for f in report.features} == set(champion.feature_names)
    assert report.live_signals == 6
    assert report.live_hit_rate in {0.0, 1 / 3, 2 / 3, 1.0}
    assert report.holdout_hit_rate == champion.metrics["accuracy"]
    assert (
        REGISTRY.get_sample_value("tradingops_models_drifted", {"model": "baseline-direction"})
        == 0.0
    )


def test_a_market_that_changed_character_is_reported_as_drift(champion):
    make_the_newest_bars_zigzag()

    report = drift_report_create(model_version=champion)

    assert report.status == "drift"
    assert report.drift_share >= 0.5
    drifted = [f["column"] for f in report.features if f["drifted"]]
    assert "log_return_1" in drifted


def test_the_scheduled_task_reports_on_every_champion(strategy):
    result = drift_reports.apply().get()

    assert result == {"baseline-direction v1": DriftReport.objects.get().status}


def test_the_command_compares_two_parquet_files_column_by_column(tmp_path, capsys):
    rng = np.random.default_rng(0)
    reference = pd.DataFrame({"a": rng.normal(0, 1, 5000), "b": rng.normal(0, 1, 5000)})
    current = pd.DataFrame({"a": rng.normal(0, 1, 5000), "b": rng.normal(2, 1, 5000)})
    reference.to_parquet(tmp_path / "ref.parquet")
    current.to_parquet(tmp_path / "cur.parquet")

    call_command(
        "drift_report",
        "--reference",
        str(tmp_path / "ref.parquet"),
        "--current",
        str(tmp_path / "cur.parquet"),
        "--json",
    )

    printed = json.loads(capsys.readouterr().out)
    columns = {c["column"]: c for c in printed["columns"]}
    assert columns["a"]["drifted"] is False and columns["a"]["p_value"] > 0.05
    assert columns["b"]["drifted"] is True and columns["b"]["psi"] > 0.25
    assert columns["b"]["method"] == "ks"
    assert printed["drifted"] is True and printed["share"] == 0.5


def test_the_command_needs_both_files(tmp_path):
    with pytest.raises(CommandError, match="--reference and --current"):
        call_command("drift_report", "--reference", str(tmp_path / "ref.parquet"))
    with pytest.raises(CommandError, match="No such file"):
        call_command(
            "drift_report", "--reference", str(tmp_path / "x"), "--current", str(tmp_path / "y")
        )


def test_the_command_reports_on_a_strategys_champion(strategy, capsys):
    call_command("drift_report", "--strategy", strategy.name, "--json")

    printed = json.loads(capsys.readouterr().out)
    assert printed["model_version"] == "baseline-direction v1"
    assert printed["status"] == DriftReport.objects.get().status


def test_prediction_confidence_drift_is_judged_once_there_are_enough_live_signals(
    strategy, champion, next_bar, settings
):
    settings.MODELS_DRIFT_MIN_SAMPLES = 6
    trading_cycle_run()
    assert drift_report_create(model_version=champion).confidence == {}
    next_bar()
    trading_cycle_run()

    confidence = drift_report_create(model_version=champion).confidence

    assert confidence["column"] == "prediction_confidence"
    assert confidence["method"] == "ks"
    assert 0.0 <= confidence["statistic"] <= 1.0
