"""Drift statistics (pure: no ORM): PSI, two-sample KS, Wasserstein, per column and overall.

Conventions, in line with common practice (and Evidently's defaults where they exist):
- PSI over quantile bins fixed on the reference; 0.1 warns, 0.25 is drift.
- Two-sample Kolmogorov-Smirnov (``scipy.stats.ks_2samp``) for continuous columns; with tens of
  thousands of rows any tiny shift becomes "significant", so a column drifts on KS only when
  the p-value is below the threshold *and* the statistic (an effect size) is large enough.
- Wasserstein distance, normalised by the reference's standard deviation, for columns with few
  distinct values, where KS's continuity assumption does not hold.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

# Added to empty bins so the log ratio stays finite; small enough not to move real scores.
PSI_EPSILON = 1e-4
DISCRETE_MAX_UNIQUE = 10


@dataclass(frozen=True)
class DriftThresholds:
    psi_warn: float = 0.1
    psi_drift: float = 0.25
    ks_p_value: float = 0.05
    ks_min_statistic: float = 0.2
    wasserstein_drift: float = 0.1
    drift_share: float = 0.5  # the dataset drifts when this share of columns drift
    bins: int = 10


@dataclass(frozen=True)
class ColumnDrift:
    column: str
    method: str  # "ks" or "wasserstein": the test that decides besides PSI
    statistic: float
    p_value: float | None
    psi: float
    status: str  # "ok", "warn" or "drift"
    drifted: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class DatasetDrift:
    columns: list[ColumnDrift]
    drifted_columns: int
    share: float
    drifted: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "drifted": self.drifted,
            "share": self.share,
            "drifted_columns": self.drifted_columns,
            "columns": [column.as_dict() for column in self.columns],
        }


def _clean(values: np.ndarray | pd.Series) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    finite: np.ndarray = array[np.isfinite(array)]
    return finite


def psi(reference: np.ndarray, current: np.ndarray, bins: int = 10) -> float:
    """Population stability index of ``current`` against ``reference``.

    Bin edges are the reference's quantiles (so each reference bin holds about the same
    share), with open outer edges so every current value lands in some bin.
    """
    reference, current = _clean(reference), _clean(current)
    if not len(reference) or not len(current):
        return float("nan")
    inner = np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1)[1:-1]))
    ref_counts = np.bincount(
        np.searchsorted(inner, reference, side="right"), minlength=len(inner) + 1
    )
    cur_counts = np.bincount(
        np.searchsorted(inner, current, side="right"), minlength=len(inner) + 1
    )
    ref_share = np.maximum(ref_counts / len(reference), PSI_EPSILON)
    cur_share = np.maximum(cur_counts / len(current), PSI_EPSILON)
    return float(np.sum((cur_share - ref_share) * np.log(cur_share / ref_share)))


def ks(reference: np.ndarray, current: np.ndarray) -> tuple[float, float]:
    """Two-sample KS statistic and p-value (asymptotic: exact is too slow at our sizes)."""
    result = stats.ks_2samp(_clean(reference), _clean(current), method="asymp")
    return float(result.statistic), float(result.pvalue)


def wasserstein_normalised(reference: np.ndarray, current: np.ndarray) -> float:
    """Earth mover's distance in units of the reference's standard deviation."""
    reference, current = _clean(reference), _clean(current)
    scale = float(np.std(reference)) or 1.0
    return float(stats.wasserstein_distance(reference, current) / scale)


def _status(score: float, limits: DriftThresholds) -> str:
    if score >= limits.psi_drift:
        return "drift"
    return "warn" if score >= limits.psi_warn else "ok"


def column_drift(
    name: str, reference: np.ndarray, current: np.ndarray, limits: DriftThresholds
) -> ColumnDrift:
    """PSI plus the test that fits the column: KS if continuous, Wasserstein if discrete."""
    score = psi(reference, current, limits.bins)
    if len(np.unique(_clean(reference))) <= DISCRETE_MAX_UNIQUE:
        distance = wasserstein_normalised(reference, current)
        test_drift, method, p_value = distance >= limits.wasserstein_drift, "wasserstein", None
        statistic = distance
    else:
        statistic, p_value = ks(reference, current)
        test_drift = p_value < limits.ks_p_value and statistic >= limits.ks_min_statistic
        method = "ks"
    status = _status(score, limits)
    drifted = status == "drift" or bool(test_drift)
    return ColumnDrift(
        name, method, statistic, p_value, score, "drift" if drifted else status, drifted
    )


def analyse(
    reference: pd.DataFrame, current: pd.DataFrame, limits: DriftThresholds | None = None
) -> DatasetDrift:
    """Drift of every numeric column the two frames share, and of the dataset as a whole."""
    limits = limits or DriftThresholds()
    shared = [
        column
        for column in reference.columns
        if column in current.columns and pd.api.types.is_numeric_dtype(reference[column])
    ]
    columns = [
        column_drift(str(column), reference[column].to_numpy(), current[column].to_numpy(), limits)
        for column in shared
    ]
    drifted = sum(column.drifted for column in columns)
    share = drifted / len(columns) if columns else 0.0
    return DatasetDrift(columns, drifted, share, bool(columns) and share >= limits.drift_share)


def confidence_drift(
    reference_confidence: np.ndarray, live_confidence: np.ndarray, limits: DriftThresholds
) -> ColumnDrift:
    """Drift of prediction confidence: the hold-out's against the live signals'."""
    return column_drift("prediction_confidence", reference_confidence, live_confidence, limits)
