"""Drift statistics checked against scipy and hand calculations on known distributions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from models_registry import drift
from models_registry.drift import DriftThresholds


def normal(n: int, mean: float = 0.0, std: float = 1.0, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(mean, std, n)


def test_ks_matches_scipy_on_two_normals_with_shifted_means():
    reference, current = normal(5000, seed=1), normal(5000, mean=0.3, seed=2)

    statistic, p_value = drift.ks(reference, current)

    expected = stats.ks_2samp(reference, current, method="asymp")
    assert statistic == pytest.approx(expected.statistic)
    assert p_value == pytest.approx(expected.pvalue)
    assert p_value < 1e-10


def test_wasserstein_matches_scipy_in_units_of_the_reference_std():
    reference, current = normal(4000, std=2.0, seed=3), normal(4000, mean=1.0, std=2.0, seed=4)

    distance = drift.wasserstein_normalised(reference, current)

    expected = stats.wasserstein_distance(reference, current) / np.std(reference)
    assert distance == pytest.approx(expected)
    assert distance == pytest.approx(0.5, abs=0.05)  # a shift of half a standard deviation


def test_psi_matches_a_hand_calculation_on_quantile_bins_fixed_on_the_reference():
    reference = np.arange(1000, dtype=float)  # deciles: 100 values per bin
    current = np.concatenate([np.full(500, 50.0), np.full(500, 950.0)])  # first and last bin

    score = drift.psi(reference, current, bins=10)

    eps = drift.PSI_EPSILON
    expected = 2 * (0.5 - 0.1) * np.log(0.5 / 0.1) + 8 * (eps - 0.1) * np.log(eps / 0.1)
    assert score == pytest.approx(expected)


def test_psi_of_a_sample_against_itself_is_zero():
    sample = normal(10_000, seed=5)

    assert drift.psi(sample, sample) == pytest.approx(0.0, abs=1e-12)


def test_psi_is_small_for_two_samples_of_one_distribution_and_large_after_a_one_std_shift():
    reference = normal(20_000, seed=6)

    same = drift.psi(reference, normal(20_000, seed=7))
    shifted = drift.psi(reference, normal(20_000, mean=1.0, seed=8))

    assert same < 0.01
    assert shifted > 0.25


@settings(max_examples=30, deadline=None)
@given(
    shift=st.floats(min_value=-3, max_value=3),
    scale=st.floats(min_value=0.2, max_value=5),
)
def test_psi_is_never_negative(shift, scale):
    reference = normal(2000, seed=9)

    assert drift.psi(reference, normal(2000, mean=shift, std=scale, seed=10)) >= 0.0


def test_values_outside_the_reference_range_land_in_the_outer_bins():
    reference = np.linspace(0, 1, 1000)

    score = drift.psi(reference, np.full(1000, 10.0))

    assert np.isfinite(score)
    assert score > 1.0


def test_identical_distributions_do_not_drift():
    frame = pd.DataFrame({f"x{i}": normal(5000, seed=i) for i in range(5)})
    current = pd.DataFrame({f"x{i}": normal(5000, seed=100 + i) for i in range(5)})

    result = drift.analyse(frame, current)

    assert not result.drifted
    assert result.drifted_columns == 0
    assert {c.status for c in result.columns} == {"ok"}
    assert {c.method for c in result.columns} == {"ks"}


def test_a_shifted_majority_of_columns_makes_the_dataset_drift():
    reference = pd.DataFrame({f"x{i}": normal(5000, seed=i) for i in range(4)})
    current = pd.DataFrame(
        {f"x{i}": normal(5000, mean=1.0 if i < 2 else 0.0, seed=50 + i) for i in range(4)}
    )

    result = drift.analyse(reference, current)

    assert [c.drifted for c in result.columns] == [True, True, False, False]
    assert result.share == 0.5
    assert result.drifted


def test_a_wider_spread_around_the_same_median_drifts_on_ks():
    reference = normal(20_000, seed=11)
    current = normal(20_000, std=3.0, seed=12)

    column = drift.column_drift("x", reference, current, DriftThresholds())

    assert column.method == "ks"
    assert column.statistic > 0.2
    assert column.drifted


def test_discrete_columns_use_wasserstein_not_ks():
    reference = np.random.default_rng(13).integers(0, 3, 5000).astype(float)
    current = np.random.default_rng(14).integers(1, 4, 5000).astype(float)

    column = drift.column_drift("bucket", reference, current, DriftThresholds())

    assert column.method == "wasserstein"
    assert column.p_value is None
    assert column.drifted


def test_the_thresholds_decide_warn_and_drift():
    reference = normal(20_000, seed=15)
    current = normal(20_000, mean=0.45, seed=16)
    score = drift.psi(reference, current)
    lenient = DriftThresholds(psi_warn=score - 0.01, psi_drift=score + 0.5, ks_min_statistic=1.0)
    strict = DriftThresholds(psi_warn=0.01, psi_drift=score - 0.01)

    assert drift.column_drift("x", reference, current, lenient).status == "warn"
    assert drift.column_drift("x", reference, current, strict).status == "drift"


def test_non_numeric_and_missing_columns_are_skipped():
    reference = pd.DataFrame({"x": normal(100), "symbol": ["A"] * 100, "only_ref": normal(100)})
    current = pd.DataFrame({"x": normal(100, seed=1), "symbol": ["B"] * 100})

    result = drift.analyse(reference, current)

    assert [c.column for c in result.columns] == ["x"]


def test_nan_values_are_ignored_not_propagated():
    reference = np.concatenate([normal(1000), [np.nan] * 10])
    current = np.concatenate([normal(1000, seed=1), [np.nan] * 10])

    column = drift.column_drift("x", reference, current, DriftThresholds())

    assert np.isfinite(column.psi) and np.isfinite(column.statistic)
