from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from common.exceptions import ArtifactIntegrityError, ValidationFailed
from models_registry.features import FEATURE_NAMES
from models_registry.models import ModelAlias, ModelVersion, Signal
from models_registry.selectors import aliases_of
from models_registry.services import (
    model_version_promote,
    model_version_train,
    signals_generate,
)

pytestmark = pytest.mark.django_db


def test_training_registers_a_version_with_its_artifact_digest_and_holdout_metrics(
    history, artifact_dir
):
    version = model_version_train(model_name="baseline-direction")

    version.refresh_from_db()
    assert version.version == 1
    assert aliases_of(model_version=version) == []
    assert version.feature_names == list(FEATURE_NAMES)
    assert version.training_symbols == ["AAPL", "MSFT", "SPY"]
    assert version.train_end < version.holdout_start
    assert version.holdout_rows == version.metrics["holdout_rows"]
    assert 0.0 <= version.metrics["accuracy"] <= 1.0
    assert {"log_loss", "brier", "roc_auc"} <= set(version.metrics)
    stored = (Path(artifact_dir) / version.artifact_path).read_bytes()
    assert hashlib.sha256(stored).hexdigest() == version.artifact_sha256


def test_a_second_training_gets_the_next_version_number(history):
    first = model_version_train(model_name="baseline-direction")
    second = model_version_train(model_name="baseline-direction", seed=1)

    assert (first.version, second.version) == (1, 2)
    # Content-addressed: each artifact's path is named by its own digest.
    for version in (first, second):
        assert version.artifact_sha256 in version.artifact_path


def test_promotion_leaves_exactly_one_champion(history, settings):
    settings.MODELS_GATE_REQUIRE_APPROVAL = False
    settings.MODELS_GATE_MIN_AUC = 0.0
    settings.MODELS_GATE_METRIC_TOLERANCE = 1.0
    settings.MODELS_GATE_MAX_BACKTEST_DRAWDOWN = 1.0
    first = model_version_train(model_name="baseline-direction", promote=True)
    second = model_version_train(model_name="baseline-direction")

    model_version_promote(model_version=second, reason="better on the hold-out")

    assert aliases_of(model_version=first) == []
    assert list(ModelVersion.objects.filter(aliases__alias="champion")) == [second]


def test_the_database_refuses_two_champions_of_one_model(history):
    first = model_version_train(model_name="baseline-direction", promote=True)
    second = model_version_train(model_name="baseline-direction")

    with pytest.raises(IntegrityError), transaction.atomic():
        ModelAlias.objects.create(
            registered_model=second.registered_model,
            alias="champion",
            model_version=second,
            assigned_at=first.created_at,
        )
    assert aliases_of(model_version=first) == ["champion"]


def test_signals_are_written_once_per_bar_however_often_prediction_runs(champion, instruments):
    first = signals_generate(model_version=champion, instruments=instruments)
    again = signals_generate(model_version=champion, instruments=instruments)

    assert len(first) == 3
    assert [s.pk for s in first] == [s.pk for s in again]
    assert Signal.objects.count() == 3
    newest = {s.instrument.symbol: s for s in first}
    for signal in newest.values():
        assert signal.confidence == max(signal.probability_up, 1 - signal.probability_up)
        assert signal.direction == ("up" if signal.probability_up >= 0.5 else "down")


def test_a_model_that_is_not_champion_may_not_emit_signals(history, instruments):
    version = model_version_train(model_name="challenger")

    with pytest.raises(ValidationFailed, match="not a champion"):
        signals_generate(model_version=version, instruments=instruments)


def test_a_tampered_artifact_refuses_to_load(champion, instruments, artifact_dir):
    path = Path(artifact_dir) / champion.artifact_path
    path.write_bytes(path.read_bytes() + b"tampered")

    with pytest.raises(ArtifactIntegrityError, match="refusing to load"):
        signals_generate(model_version=champion, instruments=instruments)
    assert Signal.objects.count() == 0


def test_training_without_enough_history_says_so(instruments):
    with pytest.raises(ValidationFailed, match="No bars to train on"):
        model_version_train(model_name="baseline-direction")


def test_train_model_command_prints_the_new_version_as_json(history, capsys):
    call_command("train_model", "--model", "cli-model")

    printed = json.loads(capsys.readouterr().out)
    assert printed["model_version"] == "cli-model v1"
    assert printed["champion"] is False  # a first champion too goes through the gates
    assert len(printed["artifact_sha256"]) == 64


def test_a_quarantined_bar_never_enters_the_closes_used_for_features(history):
    from marketdata.models import Bar, Instrument
    from models_registry.services.datasets import close_series

    aapl = Instrument.objects.get(symbol="AAPL")
    bad = Bar.objects.filter(instrument=aapl).order_by("-timestamp")[5]
    Bar.objects.filter(pk=bad.pk).update(status="quarantined", quality_reasons=["jump"])

    closes = close_series(aapl, "1m")

    assert bad.timestamp not in closes.index
    assert len(closes) == Bar.objects.filter(instrument=aapl).count() - 1
