from __future__ import annotations

import hashlib
import io

import joblib
import numpy as np
import pandas as pd
import pytest

from common.exceptions import ArtifactIntegrityError
from models_registry import inference
from models_registry.classifier import build_dataset, fit_baseline
from models_registry.features import FEATURE_NAMES, WARMUP_BARS, compute_features
from models_registry.inference import (
    ARTIFACT_FORMAT,
    Prediction,
    artifact_bytes,
    load_verified,
    predict_latest,
)


def random_walk(n: int, seed: int = 0) -> pd.Series:
    steps = np.random.default_rng(seed).normal(0.0, 0.002, n)
    index = pd.date_range("2024-03-04 14:30", periods=n, freq="1min", tz="UTC")
    return pd.Series(100.0 * np.exp(np.cumsum(steps)), index=index)


@pytest.fixture(scope="module")
def model():
    return fit_baseline(build_dataset({"AAPL": random_walk(300, seed=1)}), seed=0)


@pytest.fixture
def unpickling_forbidden(monkeypatch):
    """Fail the test if anything reaches joblib.load."""
    calls = []

    def refuse(*args, **kwargs):
        calls.append(args)
        raise AssertionError("joblib.load must not run on an unverified artifact")

    monkeypatch.setattr(inference.joblib, "load", refuse)
    return calls


def stored(data: bytes):
    """A reader for ``load_verified`` serving ``data`` (the store's own digest check is
    ``artifacts.get``'s, tested in test_artifacts.py), and the digest registered for it."""
    return hashlib.sha256(data).hexdigest(), lambda name, sha256: data


def payload_bytes(payload: dict) -> bytes:
    buffer = io.BytesIO()
    joblib.dump(payload, buffer)
    return buffer.getvalue()


def test_an_artifact_round_trips_to_a_model_with_identical_predictions(model):
    digest, read = stored(artifact_bytes(model))
    features = compute_features(random_walk(80, seed=9)).dropna().to_numpy()

    loaded = load_verified("models/round-trip.joblib", digest, read)

    np.testing.assert_array_equal(loaded.predict_proba(features), model.predict_proba(features))


def test_a_verified_artifact_is_loaded_once_and_then_reused(model):
    digest, read = stored(artifact_bytes(model))

    first = load_verified("models/reused.joblib", digest, read)

    assert load_verified("models/reused.joblib", digest, read) is first


def test_bytes_that_do_not_hash_to_the_registered_sha256_are_never_unpickled(
    model, unpickling_forbidden
):
    _, read = stored(artifact_bytes(model))

    with pytest.raises(ArtifactIntegrityError, match="failed its sha256 check"):
        load_verified("models/swapped.joblib", "0" * 64, read)
    assert unpickling_forbidden == []


def test_an_artifact_built_for_other_features_is_refused(model):
    payload = {"format": ARTIFACT_FORMAT, "feature_names": ["log_return_1"], "model": model}
    digest, read = stored(payload_bytes(payload))

    with pytest.raises(ArtifactIntegrityError, match="other features"):
        load_verified("models/old.joblib", digest, read)


def test_an_artifact_of_another_format_is_refused(model):
    payload = {"format": ARTIFACT_FORMAT + 1, "feature_names": list(FEATURE_NAMES), "model": model}
    digest, read = stored(payload_bytes(payload))

    with pytest.raises(ArtifactIntegrityError, match="other features"):
        load_verified("models/future.joblib", digest, read)


def test_predict_latest_returns_none_while_history_is_shorter_than_the_warm_up(model):
    assert predict_latest(model, random_walk(WARMUP_BARS - 1)) is None
    assert predict_latest(model, random_walk(1)) is None


def test_predict_latest_predicts_once_the_warm_up_is_complete(model):
    prediction = predict_latest(model, random_walk(WARMUP_BARS))

    assert prediction is not None
    assert 0.0 <= prediction.probability_up <= 1.0


def test_predict_latest_scores_the_newest_bar_with_the_training_features(model):
    close = random_walk(60, seed=4)
    newest = compute_features(close).iloc[[-1]].to_numpy()

    prediction = predict_latest(model, close)

    assert prediction.probability_up == pytest.approx(model.predict_proba(newest)[0, 1])


@pytest.mark.parametrize(
    ("probability_up", "direction_up", "confidence"),
    [(0.8, True, 0.8), (0.3, False, 0.7), (0.5, True, 0.5), (0.0, False, 1.0)],
)
def test_prediction_direction_and_confidence(probability_up, direction_up, confidence):
    prediction = Prediction(probability_up=probability_up)

    assert prediction.direction_up is direction_up
    assert prediction.confidence == pytest.approx(confidence)
