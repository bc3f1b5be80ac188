"""Dataset hashes: the same data always hashes the same; any changed value changes it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models_registry import dataset_files
from models_registry.classifier import build_dataset


def random_walk(n: int, seed: int) -> pd.Series:
    steps = np.random.default_rng(seed).normal(0.0, 0.002, n)
    index = pd.date_range("2024-03-04 14:30", periods=n, freq="1min", tz="UTC")
    return pd.Series(100.0 * np.exp(np.cumsum(steps)), index=index)


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return build_dataset({"AAPL": random_walk(120, 1), "MSFT": random_walk(120, 2)})


def test_the_same_data_gives_the_same_hash(frame):
    assert dataset_files.content_sha256(frame) == dataset_files.content_sha256(frame.copy())


def test_the_hash_does_not_depend_on_row_order_or_extra_columns(frame):
    shuffled = frame.sample(frac=1.0, random_state=3).assign(extra=1.0)

    assert dataset_files.content_sha256(shuffled) == dataset_files.content_sha256(frame)


@settings(max_examples=25, deadline=None)
@given(row=st.integers(min_value=0), column=st.sampled_from(dataset_files.COLUMNS[2:]))
def test_one_changed_value_changes_the_hash(frame, row, column):
    changed = frame.copy()
    position = row % len(changed)
    changed.iloc[position, changed.columns.get_loc(column)] += 1e-9

    assert dataset_files.content_sha256(changed) != dataset_files.content_sha256(frame)


def test_a_changed_symbol_or_timestamp_changes_the_hash(frame):
    renamed = frame.copy()
    renamed.iloc[0, renamed.columns.get_loc("symbol")] = "AAPM"
    moved = frame.copy()
    moved.iloc[0, moved.columns.get_loc("timestamp")] += pd.Timedelta(seconds=1)

    digests = {dataset_files.content_sha256(f) for f in (frame, renamed, moved)}

    assert len(digests) == 3


def test_a_dropped_row_changes_the_hash(frame):
    assert dataset_files.content_sha256(frame.iloc[1:]) != dataset_files.content_sha256(frame)


def test_parquet_round_trip_keeps_the_content_hash(frame):
    restored = dataset_files.from_parquet_bytes(dataset_files.to_parquet_bytes(frame))

    assert dataset_files.content_sha256(restored) == dataset_files.content_sha256(frame)
    assert list(restored.columns) == list(dataset_files.COLUMNS)
