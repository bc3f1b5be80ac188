"""Tracked training runs: lineage, embargoed hold-out, walk-forward, champion comparison."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from common.exceptions import ValidationFailed
from marketdata.models import Instrument
from models_registry import classifier, features
from models_registry.features import FEATURE_NAMES, compute_features
from models_registry.inference import predict_latest
from models_registry.models import DatasetSnapshot, FeatureSet, TrainingRun
from models_registry.services import (
    dataset_frame_load,
    dataset_snapshot_build,
    feature_set_register,
    model_version_load,
    model_version_train,
)
from models_registry.services.datasets import close_series
from models_registry.services.scoring import score

pytestmark = pytest.mark.django_db


def test_a_training_run_records_its_lineage_versions_timings_and_metrics(history):
    version = model_version_train(model_name="baseline-direction", params={"C": 0.5, "seed": 3})

    run = TrainingRun.objects.get()
    assert run.model_version == version
    assert run.status == "succeeded" and run.error == ""
    assert run.family == "logistic_regression"
    assert run.hyperparameters == {"C": 0.5, "seed": 3, "holdout_fraction": 0.2, "embargo_bars": 5}
    assert run.seed == 3
    assert run.dataset_snapshot.row_count > 0
    assert run.feature_set == run.dataset_snapshot.feature_set
    assert len(run.code_version) >= 7
    assert {"scikit-learn", "numpy", "pandas"} <= set(run.library_versions)
    assert run.finished_at >= run.started_at and run.duration_seconds >= 0
    assert {"holdout", "walk_forward", "champion_holdout"} <= set(run.metrics)
    assert {"log_loss", "roc_auc", "brier", "hit_rate"} <= set(version.metrics)
    assert {"backtest_total_return", "backtest_sharpe", "backtest_max_drawdown"} <= set(
        version.metrics
    )
    assert "backtest_turnover" in version.metrics


def test_the_hold_out_starts_after_an_embargo_gap_of_bar_times(history, settings):
    settings.MODELS_EMBARGO_BARS = 7
    version = model_version_train(model_name="baseline-direction")

    times = pd.Series(
        dataset_frame_load(version.training_run.dataset_snapshot)["timestamp"].unique()
    )
    between = times[(times > version.train_end) & (times < version.holdout_start)]
    assert len(between) == 7


def test_walk_forward_scores_each_fold_on_later_data_only(history):
    version = model_version_train(model_name="baseline-direction")

    folds = version.training_run.metrics["walk_forward"]["folds"]
    assert [f["fold"] for f in folds] == [1.0, 2.0, 3.0, 4.0]
    assert all(0.0 <= f["hit_rate"] <= 1.0 for f in folds)


def test_the_champion_is_scored_on_the_candidates_own_hold_out(history):
    champion = model_version_train(model_name="baseline-direction", promote=True)
    candidate = model_version_train(model_name="baseline-direction", params={"C": 0.01})

    compared = candidate.training_run.metrics["champion_holdout"]
    assert compared["version"] == champion.version
    assert compared["holdout_rows"] == candidate.holdout_rows
    assert compared["roc_auc"] != candidate.metrics["roc_auc"]


def test_a_failed_training_is_recorded_with_its_error(history):
    with pytest.raises(ValidationFailed, match="Not enough history"):
        model_version_train(model_name="baseline-direction", params={"holdout_fraction": 0.999})

    run = TrainingRun.objects.get()
    assert run.status == "failed"
    assert "Not enough history" in run.error
    assert run.finished_at is not None
    assert not hasattr(run, "model_version") or run.model_version is None


def test_unknown_hyperparameters_are_refused(history):
    with pytest.raises(ValidationFailed, match="Unknown hyperparameter 'depth'"):
        model_version_train(model_name="baseline-direction", params={"depth": 3})


def test_a_leaky_split_is_refused_before_fitting():
    index = pd.date_range("2024-03-04 14:30", periods=300, freq="1min", tz="UTC")
    frame = pd.DataFrame({"timestamp": index, "label": 1.0})
    split = classifier.time_ordered_split(frame, 0.2, embargo_bars=0)

    with pytest.raises(ValidationFailed, match="Look-ahead"):
        classifier.assert_no_lookahead(frame, split, embargo_bars=3)
    overlapping = classifier.Split(train=frame, holdout=frame.tail(50))
    with pytest.raises(ValidationFailed, match="at or after the hold-out start"):
        classifier.assert_no_lookahead(frame, overlapping, embargo_bars=0)


def test_a_model_trained_with_planted_future_information_is_blocked_as_look_ahead(
    history, lenient_gates
):
    """Plant the next bar's direction into a feature: the hold-out AUC gives it away."""
    from models_registry.gates import GateThresholds, PromotionEvidence, evaluate, failing

    version = model_version_train(model_name="baseline-direction")
    frame = dataset_frame_load(version.training_run.dataset_snapshot)
    frame["log_return_1"] = frame["label"] * 2 - 1  # the future, disguised as a feature
    split = classifier.time_ordered_split(frame, 0.2, 5)
    leaky = score(classifier.fit_baseline(split.train, seed=0), split.holdout, "1m")

    evidence = PromotionEvidence(leaky, None, 0.0, False, 0, None, "bob")
    limits = GateThresholds(0.02, 0.5, 0.75, 0.8, 1.0, 0, 0.5, True)
    assert leaky["roc_auc"] > 0.95
    assert [g.name for g in failing(evaluate(evidence, limits))] == ["leakage_ceiling"]
    honest = evaluate(PromotionEvidence(version.metrics, None, 0.0, False, 0, None, "bob"), limits)
    assert "leakage_ceiling" not in [g.name for g in failing(honest)]


def test_training_and_serving_compute_identical_features_for_the_same_bar(history):
    version = model_version_train(model_name="baseline-direction")
    frame = dataset_frame_load(version.training_run.dataset_snapshot)
    instrument = Instrument.objects.get(symbol="MSFT")
    close = close_series(instrument, "1m")
    newest_training_bar = frame[frame["symbol"] == "MSFT"]["timestamp"].max()

    served = compute_features(close[close.index <= newest_training_bar]).iloc[-1]
    trained = frame[(frame["symbol"] == "MSFT") & (frame["timestamp"] == newest_training_bar)]
    np.testing.assert_array_equal(
        trained[list(FEATURE_NAMES)].to_numpy()[0], served[list(FEATURE_NAMES)].to_numpy()
    )
    model = model_version_load(version)
    prediction = predict_latest(model, close[close.index <= newest_training_bar])
    assert prediction.probability_up == pytest.approx(
        classifier.predict_up(model, trained)[0], abs=0
    )


def test_a_dataset_snapshot_is_stored_once_under_its_hash_and_is_immutable(history, artifact_dir):
    first = dataset_snapshot_build()
    again = dataset_snapshot_build()

    assert again.pk == first.pk
    assert DatasetSnapshot.objects.count() == 1
    assert first.storage_path == f"datasets/{first.file_sha256[:2]}/{first.file_sha256}.parquet"
    assert (artifact_dir / first.storage_path).is_file()
    assert first.symbols == ["AAPL", "MSFT", "SPY"]
    assert len(dataset_frame_load(first)) == first.row_count
    first.row_count = 1
    with pytest.raises(ValidationFailed, match="immutable"):
        first.save()


def test_new_bars_make_a_new_snapshot_with_a_new_hash(history, next_bar):
    first = dataset_snapshot_build()
    next_bar()

    second = dataset_snapshot_build()

    assert second.content_sha256 != first.content_sha256
    assert second.row_count == first.row_count + 3


def test_a_feature_set_version_is_refused_when_its_code_changed(db, monkeypatch):
    registered = feature_set_register()
    assert registered.code_hash == features.feature_code_hash()
    assert registered.features == list(features.FEATURE_SPECS)

    monkeypatch.setattr(features, "feature_code_hash", lambda: "f" * 64)
    with pytest.raises(ValidationFailed, match="bump FEATURE_SET_VERSION"):
        feature_set_register()
    assert FeatureSet.objects.count() == 1


def test_train_model_command_takes_a_strategy_and_json_params(strategy, capsys):
    call_command("train_model", "--strategy", strategy.name, "--params", '{"C": 0.3}')

    printed = json.loads(capsys.readouterr().out)
    assert printed["model_version"] == "baseline-direction v2"
    assert printed["aliases"] == []
    assert len(printed["dataset_sha256"]) == 64
    assert printed["champion_on_same_holdout"]["version"] == 1
    assert TrainingRun.objects.get(pk=printed["training_run"]).hyperparameters["C"] == 0.3


def test_train_model_command_refuses_bad_json(history):
    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("train_model", "--params", "{C: 1}")


def test_build_dataset_command_prints_the_snapshot(history, capsys):
    call_command("build_dataset", "--symbols", "AAPL")

    printed = json.loads(capsys.readouterr().out)
    assert printed["symbols"] == ["AAPL"]
    assert printed["content_sha256"] == DatasetSnapshot.objects.get().content_sha256


def test_the_train_model_task_creates_a_tracked_run(history):
    from models_registry.tasks import train_model

    version_id = train_model.apply(args=["task-model"], kwargs={"params": {"C": 0.5}}).get()

    run = TrainingRun.objects.get(model_version__pk=version_id)
    assert run.status == "succeeded"
    assert run.hyperparameters["C"] == 0.5


def test_a_registered_version_is_immutable_apart_from_its_archive_flags(history):
    version = model_version_train(model_name="baseline-direction")

    version.metrics = {"roc_auc": 0.99}
    with pytest.raises(ValidationFailed, match="immutable"):
        version.save()
    with pytest.raises(ValidationFailed, match="immutable"):
        version.save(update_fields=["metrics"])
    version.refresh_from_db()
    assert version.metrics["roc_auc"] != 0.99
