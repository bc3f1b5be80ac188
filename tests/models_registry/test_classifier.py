from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from common.exceptions import ValidationFailed
from models_registry.classifier import (
    MIN_HOLDOUT_ROWS,
    MIN_TRAIN_ROWS,
    build_dataset,
    evaluate,
    fit_baseline,
    time_ordered_split,
)
from models_registry.features import FEATURE_NAMES, WARMUP_BARS

METRIC_KEYS = {
    "accuracy",
    "hit_rate",
    "log_loss",
    "brier",
    "roc_auc",
    "base_rate_up",
    "holdout_rows",
}


def minute_index(n: int, start: str = "2024-03-04 14:30") -> pd.DatetimeIndex:
    return pd.date_range(start, periods=n, freq="1min", tz="UTC")


def random_walk(n: int, seed: int = 0) -> pd.Series:
    steps = np.random.default_rng(seed).normal(0.0, 0.002, n)
    return pd.Series(100.0 * np.exp(np.cumsum(steps)), index=minute_index(n))


def zigzag(n: int, seed: int = 0) -> pd.Series:
    """Moves alternate up and down with random sizes: the last move's sign predicts the next."""
    sizes = np.random.default_rng(seed).uniform(0.001, 0.01, n)
    signs = np.where(np.arange(n) % 2 == 0, 1.0, -1.0)
    return pd.Series(100.0 * np.exp(np.cumsum(sizes * signs)), index=minute_index(n))


def test_build_dataset_has_one_labelled_row_per_bar_after_warm_up_except_the_last():
    close = random_walk(100)

    dataset = build_dataset({"AAPL": close})

    assert len(dataset) == 100 - (WARMUP_BARS - 1) - 1
    assert dataset["timestamp"].iloc[0] == close.index[WARMUP_BARS - 1]
    assert dataset["timestamp"].iloc[-1] == close.index[-2]
    assert not dataset[[*FEATURE_NAMES, "label"]].isna().any(axis=None)
    assert set(dataset["symbol"]) == {"AAPL"}


def test_build_dataset_interleaves_symbols_in_time_order():
    dataset = build_dataset({"MSFT": random_walk(60, seed=1), "AAPL": random_walk(60, seed=2)})

    assert dataset["timestamp"].is_monotonic_increasing
    assert dataset["symbol"].iloc[:2].tolist() == ["AAPL", "MSFT"]
    assert dataset["symbol"].value_counts().to_dict() == {"AAPL": 39, "MSFT": 39}


def test_build_dataset_with_no_symbols_fails_validation():
    with pytest.raises(ValidationFailed, match="No bars"):
        build_dataset({})


def test_closes_too_short_for_a_single_feature_row_fail_validation_not_crash():
    dataset = build_dataset({"AAPL": random_walk(WARMUP_BARS - 1)})

    with pytest.raises(ValidationFailed, match="Not enough history"):
        time_ordered_split(dataset, 0.2)


@settings(deadline=None, max_examples=30)
@given(holdout_fraction=st.floats(min_value=0.1, max_value=0.6))
def test_every_holdout_timestamp_is_after_every_training_timestamp(holdout_fraction):
    dataset = build_dataset({"AAPL": random_walk(200, seed=1), "MSFT": random_walk(200, seed=2)})

    split = time_ordered_split(dataset, holdout_fraction)

    assert split.train["timestamp"].max() < split.holdout["timestamp"].min()
    assert len(split.train) + len(split.holdout) == len(dataset)
    assert len(split.holdout) == pytest.approx(holdout_fraction * len(dataset), abs=2)


def test_rows_sharing_a_timestamp_land_on_the_same_side_of_the_split():
    dataset = build_dataset({s: random_walk(200, seed=i) for i, s in enumerate("ABC")})

    split = time_ordered_split(dataset, 0.25)

    assert split.holdout.groupby("timestamp").size().eq(3).all()
    assert split.train.groupby("timestamp").size().eq(3).all()


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.2, 1.5])
def test_a_holdout_fraction_outside_zero_to_one_fails_validation(fraction):
    dataset = build_dataset({"AAPL": random_walk(300)})

    with pytest.raises(ValidationFailed, match="holdout_fraction"):
        time_ordered_split(dataset, fraction)


def test_too_little_training_history_fails_validation():
    dataset = build_dataset({"AAPL": random_walk(MIN_TRAIN_ROWS + 30)})

    with pytest.raises(ValidationFailed, match="Not enough history"):
        time_ordered_split(dataset, 0.5)


def test_too_small_a_holdout_fails_validation():
    dataset = build_dataset({"AAPL": random_walk(300)})

    assert len(dataset) * 0.02 < MIN_HOLDOUT_ROWS
    with pytest.raises(ValidationFailed, match="Not enough history"):
        time_ordered_split(dataset, 0.02)


def test_a_model_learns_a_planted_pattern_well_above_chance():
    dataset = build_dataset({"ZIG": zigzag(600, seed=1), "ZAG": zigzag(600, seed=2)})
    split = time_ordered_split(dataset, 0.25)

    metrics = evaluate(fit_baseline(split.train, seed=0), split.holdout)

    assert metrics["accuracy"] > 0.9
    assert metrics["roc_auc"] > 0.9
    assert metrics["log_loss"] < math.log(2)  # better than always saying 50 %
    assert metrics["brier"] < 0.25


def test_a_model_on_a_random_walk_is_not_far_from_chance():
    dataset = build_dataset({"RW": random_walk(800, seed=4)})
    split = time_ordered_split(dataset, 0.3)

    metrics = evaluate(fit_baseline(split.train, seed=0), split.holdout)

    assert 0.35 < metrics["accuracy"] < 0.65


def test_evaluate_reports_every_metric_with_the_holdout_size_and_base_rate():
    dataset = build_dataset({"AAPL": random_walk(300, seed=7)})
    split = time_ordered_split(dataset, 0.2)

    metrics = evaluate(fit_baseline(split.train, seed=0), split.holdout)

    assert set(metrics) == METRIC_KEYS
    assert all(isinstance(value, float) for value in metrics.values())
    assert metrics["holdout_rows"] == len(split.holdout)
    assert metrics["base_rate_up"] == pytest.approx(split.holdout["label"].mean())
    assert 0.0 <= metrics["accuracy"] <= 1.0


def test_roc_auc_is_nan_when_the_holdout_has_one_class():
    dataset = build_dataset({"AAPL": random_walk(300, seed=7)})
    split = time_ordered_split(dataset, 0.2)
    one_class = split.holdout.assign(label=1.0)

    metrics = evaluate(fit_baseline(split.train, seed=0), one_class)

    assert math.isnan(metrics["roc_auc"])
    assert metrics["base_rate_up"] == 1.0


def test_fitting_twice_with_the_same_seed_gives_the_same_model():
    dataset = build_dataset({"AAPL": random_walk(300, seed=7)})
    split = time_ordered_split(dataset, 0.2)
    features = split.holdout[list(FEATURE_NAMES)].to_numpy()

    first = fit_baseline(split.train, seed=3).predict_proba(features)
    second = fit_baseline(split.train, seed=3).predict_proba(features)

    np.testing.assert_array_equal(first, second)
