"""Training and evaluation of the baseline direction classifier (pure: no ORM)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, brier_score_loss, log_loss, roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from common.exceptions import ValidationFailed
from models_registry.features import FEATURE_NAMES, compute_features, next_bar_direction

ALGORITHM = "logistic_regression"
MIN_TRAIN_ROWS = 100
MIN_HOLDOUT_ROWS = 20


@dataclass(frozen=True)
class Split:
    train: pd.DataFrame
    holdout: pd.DataFrame


def build_dataset(closes: Mapping[str, pd.Series]) -> pd.DataFrame:
    """Feature rows with their label for every symbol; ``closes`` are indexed by timestamp."""
    frames = []
    for symbol, close in closes.items():
        frame = compute_features(close)
        frame["label"] = next_bar_direction(close)
        # What a long position held over the next bar earns: the backtest's return.
        frame["forward_return"] = close.astype(float).shift(-1) / close.astype(float) - 1.0
        frame["symbol"] = symbol
        frame["timestamp"] = close.index
        frames.append(frame.dropna(subset=[*FEATURE_NAMES, "label"]))
    if not frames:
        raise ValidationFailed("No bars to train on")
    return pd.concat(frames, ignore_index=True).sort_values(["timestamp", "symbol"])


def time_ordered_split(
    dataset: pd.DataFrame, holdout_fraction: float, embargo_bars: int = 0
) -> Split:
    """Everything before the cut-off time trains; everything at or after it is the hold-out.

    Splitting on time across all symbols (not on row position) keeps the hold-out strictly
    in the future of every training row. ``embargo_bars`` bar times just before the cut-off
    are dropped from training: a label looks one bar ahead, so without the gap the last
    training labels would be made of hold-out prices.
    """
    if not 0 < holdout_fraction < 1:
        raise ValidationFailed("holdout_fraction must be between 0 and 1")
    if embargo_bars < 0:
        raise ValidationFailed("embargo_bars must not be negative")
    times = np.sort(dataset["timestamp"].unique())
    cut_index = int(len(times) * (1 - holdout_fraction))
    if not 0 < cut_index < len(times):
        raise ValidationFailed(
            f"Not enough history: {len(times)} bar times cannot be split into training and hold-out"
        )
    cutoff = times[cut_index]
    train_end = times[max(cut_index - embargo_bars, 0)]
    train = dataset[dataset["timestamp"] < train_end]
    holdout = dataset[dataset["timestamp"] >= cutoff]
    if len(train) < MIN_TRAIN_ROWS or len(holdout) < MIN_HOLDOUT_ROWS:
        raise ValidationFailed(
            f"Not enough history: {len(train)} training and {len(holdout)} hold-out rows "
            f"(need {MIN_TRAIN_ROWS} and {MIN_HOLDOUT_ROWS})"
        )
    return Split(train=train, holdout=holdout)


def fit_baseline(train: pd.DataFrame, *, seed: int, regularisation: float = 1.0) -> Pipeline:
    model = Pipeline(
        [
            ("scale", StandardScaler()),
            ("classify", LogisticRegression(C=regularisation, max_iter=1000, random_state=seed)),
        ]
    )
    model.fit(train[list(FEATURE_NAMES)].to_numpy(), train["label"].to_numpy().astype(int))
    return model


def predict_up(model: Pipeline, rows: pd.DataFrame) -> np.ndarray:
    """Probability of an up move for each feature row."""
    return model.predict_proba(rows[list(FEATURE_NAMES)].to_numpy())[:, 1]


def evaluate(model: Pipeline, holdout: pd.DataFrame) -> dict[str, float]:
    """Hold-out metrics of a fitted classifier (hit rate: share of directions called right)."""
    labels = holdout["label"].to_numpy().astype(int)
    proba_up = predict_up(model, holdout)
    both_classes = len(np.unique(labels)) == 2
    hit_rate = float(accuracy_score(labels, proba_up >= 0.5))
    return {
        "accuracy": hit_rate,
        "hit_rate": hit_rate,
        "log_loss": float(log_loss(labels, proba_up, labels=[0, 1])),
        "brier": float(brier_score_loss(labels, proba_up)),
        "roc_auc": float(roc_auc_score(labels, proba_up)) if both_classes else float("nan"),
        "base_rate_up": float(labels.mean()),
        "holdout_rows": float(len(labels)),
    }


def assert_no_lookahead(dataset: pd.DataFrame, split: Split, embargo_bars: int) -> None:
    """Refuse a split where any training row is not strictly before the hold-out minus the gap.

    With one-bar labels a training row at time t uses the close of the next bar time; the
    embargo must therefore cover at least that bar.
    """
    train_times = np.sort(split.train["timestamp"].unique())
    holdout_times = np.sort(split.holdout["timestamp"].unique())
    if not len(train_times) or not len(holdout_times):
        return
    if train_times[-1] >= holdout_times[0]:
        raise ValidationFailed("Look-ahead: training rows at or after the hold-out start")
    all_times = np.sort(dataset["timestamp"].unique())
    gap = int(
        np.searchsorted(all_times, holdout_times[0]) - np.searchsorted(all_times, train_times[-1])
    )
    if gap - 1 < embargo_bars:
        raise ValidationFailed(
            f"Look-ahead: {gap - 1} bar times between training and hold-out, "
            f"embargo needs {embargo_bars}"
        )


def walk_forward(
    dataset: pd.DataFrame,
    *,
    folds: int,
    embargo_bars: int,
    seed: int,
    regularisation: float = 1.0,
) -> list[dict[str, float]]:
    """Expanding-window validation: fold k trains on the first k blocks, tests on block k+1.

    The dataset's bar times are cut into ``folds + 1`` equal blocks; the same embargo as the
    hold-out separates every training window from its test block.
    """
    times = np.sort(dataset["timestamp"].unique())
    blocks = np.array_split(times, folds + 1)
    results = []
    for k in range(1, folds + 1):
        test_times = blocks[k]
        train_times = np.concatenate(blocks[:k])
        train_times = train_times[: max(len(train_times) - embargo_bars, 0)]
        train = dataset[dataset["timestamp"].isin(train_times)]
        test = dataset[dataset["timestamp"].isin(test_times)]
        if len(train) < MIN_HOLDOUT_ROWS or len(test) < MIN_HOLDOUT_ROWS:
            continue
        if train["label"].nunique() < 2:
            continue
        model = fit_baseline(train, seed=seed, regularisation=regularisation)
        results.append({"fold": float(k), **evaluate(model, test)})
    return results
