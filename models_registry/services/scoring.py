"""How a model version is judged: its fitted model loaded from the store, the exact hold-out
it was trained against, and the classification metrics with the cost-aware backtest.

Training scores new versions with it, promotion and drift re-score versions against it; it
imports neither, so training can hand a fresh version to promotion without a cycle.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from django.conf import settings

from marketdata.timeframes import timeframe_delta
from models_registry import artifacts, backtest, classifier, inference
from models_registry.models import ModelVersion
from models_registry.services.datasets import dataset_frame_load


def periods_per_year(timeframe: str) -> float:
    """Bars in a trading year: 252 sessions of 6.5 hours for intraday, 252 days for daily."""
    step = timeframe_delta(timeframe).total_seconds()
    return 252.0 if step >= 86400 else 252 * 6.5 * 3600 / step


def score(model: Any, rows: pd.DataFrame, timeframe: str) -> dict[str, float]:
    """Classification metrics and the cost-aware backtest of ``model`` on ``rows``."""
    result = backtest.run(
        rows,
        classifier.predict_up(model, rows),
        cost_bps=settings.MODELS_BACKTEST_COST_BPS,
        periods_per_year=periods_per_year(timeframe),
    )
    return {**classifier.evaluate(model, rows), **result.as_dict()}


def model_version_load(model_version: ModelVersion) -> Any:
    """The version's fitted model from the artifact store, integrity checked."""
    return inference.load_verified(
        model_version.artifact_path, model_version.artifact_sha256, artifacts.get
    )


def holdout_of(model_version: ModelVersion) -> pd.DataFrame | None:
    """The exact hold-out rows the version was judged on (None for versions without lineage)."""
    run = model_version.training_run
    if run is None or run.dataset_snapshot is None:
        return None
    split = classifier.time_ordered_split(
        dataset_frame_load(run.dataset_snapshot),
        float(run.hyperparameters["holdout_fraction"]),
        int(run.hyperparameters["embargo_bars"]),
    )
    return split.holdout
