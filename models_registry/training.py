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
        frame["symbol"] = symbol
        frame["timestamp"] = close.index
        frames.append(frame.dropna(subset=[*FEATURE_NAMES, "label"]))
    if not frames:
        raise ValidationFailed("No bars to train on")
    return pd.concat(frames, ignore_index=True).sort_values(["timestamp", "symbol"])


def time_ordered_split(dataset: pd.DataFrame, holdout_fraction: float) -> Split:
    """Everything before the cut-off time trains; everything at or after it is the hold-out.

    Splitting on time across all symbols (not on row position) keeps the hold-out strictly
    in the future of every training row.
    """
    if not 0 < holdout_fraction < 1:
        raise ValidationFailed("holdout_fraction must be between 0 and 1")
    times = np.sort(dataset["timestamp"].unique())
    cut = int(len(times) * (1 - holdout_fraction))
    if not 0 < cut < len(times):
        raise ValidationFailed(
            f"Not enough history: {len(times)} bar times cannot be split into training and hold-out"
        )
    cutoff = times[cut]
    train = dataset[dataset["timestamp"] < cutoff]
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


def evaluate(model: Pipeline, holdout: pd.DataFrame) -> dict[str, float]:
    """Hold-out metrics of a fitted classifier."""
    labels = holdout["label"].to_numpy().astype(int)
    proba_up = model.predict_proba(holdout[list(FEATURE_NAMES)].to_numpy())[:, 1]
    both_classes = len(np.unique(labels)) == 2
    return {
        "accuracy": float(accuracy_score(labels, proba_up >= 0.5)),
        "log_loss": float(log_loss(labels, proba_up, labels=[0, 1])),
        "brier": float(brier_score_loss(labels, proba_up)),
        "roc_auc": float(roc_auc_score(labels, proba_up)) if both_classes else float("nan"),
        "base_rate_up": float(labels.mean()),
        "holdout_rows": float(len(labels)),
    }
