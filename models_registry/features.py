"""Feature maths (pure): one code path for training and for prediction.

Every feature at bar t uses only closes up to and including t, so nothing looks ahead.
"""

from __future__ import annotations

import hashlib
import inspect
import json

import numpy as np
import pandas as pd

FEATURE_NAMES: tuple[str, ...] = (
    "log_return_1",
    "log_return_5",
    "log_return_20",
    "volatility_20",
    "rsi_14",
    "zscore_20",
)
# The feature set as a versioned definition. Bump FEATURE_SET_VERSION whenever a feature or
# its parameters change: the registry refuses a known version whose code hash has changed.
FEATURE_SET_NAME = "baseline-price"
FEATURE_SET_VERSION = 1
FEATURE_SPECS: tuple[dict, ...] = (
    {"name": "log_return_1", "params": {"lag": 1}},
    {"name": "log_return_5", "params": {"lag": 5}},
    {"name": "log_return_20", "params": {"lag": 20}},
    {"name": "volatility_20", "params": {"window": 20, "of": "log_return_1"}},
    {"name": "rsi_14", "params": {"period": 14, "smoothing": "wilder"}},
    {"name": "zscore_20", "params": {"window": 20}},
)
# Bars of history before the first complete feature row (20-bar windows over log returns).
WARMUP_BARS = 21
RSI_PERIOD = 14


def rsi(close: pd.Series, period: int = RSI_PERIOD) -> pd.Series:
    """Wilder's relative strength index in [0, 100]."""
    change = close.diff()
    gain = change.clip(lower=0).ewm(alpha=1 / period, adjust=False, min_periods=period).mean()
    loss = (-change.clip(upper=0)).ewm(alpha=1 / period, adjust=False, min_periods=period).mean()
    strength = gain / loss.replace(0.0, np.nan)
    values = 100 - 100 / (1 + strength)
    # No losses: RSI is 100 by definition, not undefined; no moves at all: neutral 50.
    values = values.where(loss != 0, 100.0).where((gain != 0) | (loss != 0), 50.0)
    return values.where(gain.notna())


def compute_features(close: pd.Series) -> pd.DataFrame:
    """Feature rows aligned with ``close``; rows inside the warm-up hold NaN."""
    close = close.astype(float)
    log_close = np.log(close)
    log_return = log_close.diff()
    mean_20 = close.rolling(20).mean()
    std_20 = close.rolling(20).std()
    return pd.DataFrame(
        {
            "log_return_1": log_return,
            "log_return_5": log_close.diff(5),
            "log_return_20": log_close.diff(20),
            "volatility_20": log_return.rolling(20).std(),
            "rsi_14": rsi(close),
            "zscore_20": (close - mean_20) / std_20.replace(0.0, np.nan),
        },
        index=close.index,
    )


def next_bar_direction(close: pd.Series) -> pd.Series:
    """Label: 1.0 when the next close is higher, 0.0 otherwise; NaN on the last bar."""
    following = close.astype(float).shift(-1)
    return (following > close.astype(float)).astype(float).where(following.notna())


def feature_code_hash() -> str:
    """sha256 of the code and specs that compute the features and the label.

    Training and serving both call ``compute_features``; hashing its source (and its helpers')
    ties every dataset snapshot and model to the exact feature code that produced it.
    """
    digest = hashlib.sha256()
    for function in (compute_features, rsi, next_bar_direction):
        digest.update(inspect.getsource(function).encode())
    digest.update(json.dumps(FEATURE_SPECS, sort_keys=True).encode())
    return digest.hexdigest()
