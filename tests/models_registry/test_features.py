from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from models_registry.features import (
    FEATURE_NAMES,
    RSI_PERIOD,
    WARMUP_BARS,
    compute_features,
    next_bar_direction,
    rsi,
)


def random_walk(n: int = 60, seed: int = 0) -> pd.Series:
    steps = np.random.default_rng(seed).normal(0.0, 0.01, n)
    index = pd.date_range("2024-03-04 14:30", periods=n, freq="1min", tz="UTC")
    return pd.Series(100.0 * np.exp(np.cumsum(steps)), index=index)


close_arrays = arrays(
    np.float64,
    st.integers(min_value=WARMUP_BARS + 2, max_value=80),
    elements=st.floats(min_value=1.0, max_value=1000.0, allow_nan=False, allow_infinity=False),
)


def test_features_have_the_declared_columns_aligned_with_the_closes():
    close = random_walk()

    features = compute_features(close)

    assert tuple(features.columns) == FEATURE_NAMES
    assert features.index.equals(close.index)


def test_every_row_before_the_warm_up_ends_has_a_missing_feature():
    features = compute_features(random_walk())

    assert features.iloc[: WARMUP_BARS - 1].isna().any(axis=1).all()


def test_the_first_complete_row_is_at_index_warmup_bars_minus_one():
    features = compute_features(random_walk())

    complete = features.notna().all(axis=1)
    assert complete.idxmax() == features.index[WARMUP_BARS - 1]
    assert complete.iloc[WARMUP_BARS - 1 :].all()


def test_a_series_of_exactly_warmup_bars_gives_one_complete_row():
    features = compute_features(random_walk(WARMUP_BARS))

    assert features.notna().all(axis=1).sum() == 1
    assert features.iloc[-1].notna().all()


def test_log_returns_match_a_hand_calculation():
    close = pd.Series([100.0, 110.0, 99.0, 99.0, 120.0, 125.0, 130.0])

    features = compute_features(close)

    assert math.isnan(features["log_return_1"].iloc[0])
    assert features["log_return_1"].iloc[1] == pytest.approx(math.log(110 / 100))
    assert features["log_return_1"].iloc[2] == pytest.approx(math.log(99 / 110))
    assert features["log_return_1"].iloc[3] == 0.0
    assert features["log_return_5"].iloc[:5].isna().all()
    assert features["log_return_5"].iloc[5] == pytest.approx(math.log(125 / 100))
    assert features["log_return_5"].iloc[6] == pytest.approx(math.log(130 / 110))


def test_twenty_bar_features_match_a_hand_calculation():
    close = random_walk(30, seed=3)
    values = close.to_numpy()
    t = 25

    row = compute_features(close).iloc[t]

    window_returns = np.diff(np.log(values[t - 20 : t + 1]))
    window_closes = values[t - 19 : t + 1]
    assert row["log_return_20"] == pytest.approx(math.log(values[t] / values[t - 20]))
    assert row["volatility_20"] == pytest.approx(np.std(window_returns, ddof=1))
    assert row["zscore_20"] == pytest.approx(
        (values[t] - window_closes.mean()) / np.std(window_closes, ddof=1)
    )


def test_zscore_is_missing_not_infinite_on_a_flat_window():
    close = pd.Series([50.0] * 30)

    assert compute_features(close)["zscore_20"].iloc[19:].isna().all()


def test_features_accept_integer_and_decimal_like_closes():
    close = pd.Series(list(range(100, 130)))

    features = compute_features(close)

    assert features.dtypes.eq(np.float64).all()
    assert features["log_return_1"].iloc[1] == pytest.approx(math.log(101 / 100))


@settings(deadline=None)
@given(values=close_arrays, data=st.data())
def test_features_at_t_do_not_change_when_later_closes_change(values, data):
    t = data.draw(st.integers(min_value=0, max_value=len(values) - 2), label="t")
    later = data.draw(
        arrays(np.float64, len(values) - t - 1, elements=st.floats(min_value=1.0, max_value=1e3)),
        label="replacement closes after t",
    )
    altered = values.copy()
    altered[t + 1 :] = later

    original = compute_features(pd.Series(values)).iloc[: t + 1]
    changed = compute_features(pd.Series(altered)).iloc[: t + 1]

    pd.testing.assert_frame_equal(original, changed)


def test_features_on_a_prefix_equal_the_same_rows_of_the_full_history():
    close = random_walk(80, seed=5)

    full = compute_features(close)
    prefix = compute_features(close.iloc[:40])

    pd.testing.assert_frame_equal(prefix, full.iloc[:40])


def test_rsi_is_first_defined_after_rsi_period_changes():
    values = rsi(random_walk(40))

    assert values.iloc[:RSI_PERIOD].isna().all()
    assert values.iloc[RSI_PERIOD:].notna().all()


def test_rsi_is_100_on_a_strictly_rising_series():
    values = rsi(pd.Series(np.linspace(10.0, 50.0, 40)))

    assert (values.iloc[RSI_PERIOD:] == 100.0).all()


def test_rsi_is_0_on_a_strictly_falling_series():
    values = rsi(pd.Series(np.linspace(50.0, 10.0, 40)))

    assert (values.iloc[RSI_PERIOD:] == 0.0).all()


def test_rsi_is_50_when_gains_and_losses_balance():
    values = rsi(pd.Series([100.0, 101.0] * 40))

    # Alternating equal moves: Wilder's smoothing hovers around 50, never far from it.
    assert values.iloc[-1] == pytest.approx(50.0, abs=5.0)


@settings(deadline=None)
@given(values=close_arrays)
def test_rsi_stays_between_0_and_100(values):
    result = rsi(pd.Series(values)).dropna()

    assert ((result >= 0.0) & (result <= 100.0)).all()


def test_next_bar_direction_labels_up_moves_1_and_flat_or_down_moves_0():
    labels = next_bar_direction(pd.Series([10.0, 11.0, 11.0, 9.0, 12.0]))

    assert labels.iloc[:4].tolist() == [1.0, 0.0, 0.0, 1.0]
    assert math.isnan(labels.iloc[4])


def test_next_bar_direction_keeps_the_index_of_the_closes():
    close = random_walk(10)

    labels = next_bar_direction(close)

    assert labels.index.equals(close.index)
    assert labels.iloc[:-1].isin([0.0, 1.0]).all()


def test_rsi_is_neutral_50_on_a_flat_series():
    values = rsi(pd.Series([25.0] * 40))

    assert (values.iloc[RSI_PERIOD:] == 50.0).all()
    assert values.iloc[:RSI_PERIOD].isna().all()
