"""Drift analysis (PSI and KS for every column) of 50,000 x 20 numeric columns.

The current frame shifts a quarter of its columns, so both the no-drift and the drift paths
run. Pure: no database. Evidently's DataDriftPreset runs on the same frames when evidently is
installed (an optional extra, never a runtime dependency). Prints one JSON object, seconds;
the keys name the full size, ``rows`` and ``columns`` what ran. Knobs: BENCH_ROWS,
BENCH_COLUMNS, BENCH_RUNS (BENCH_SMOKE=1: tiny).
"""

from __future__ import annotations

import importlib.util
import json
import statistics
import time

import numpy as np
import pandas as pd

from benchmarks.sizes import size
from models_registry import drift

ROWS = size("BENCH_ROWS", 50_000, 1_000)
COLUMNS = size("BENCH_COLUMNS", 20, 4)
RUNS = size("BENCH_RUNS", 5, 1)


def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(42)
    reference = pd.DataFrame({f"f{i:02d}": rng.normal(0, 1, ROWS) for i in range(COLUMNS)})
    current = pd.DataFrame(
        {f"f{i:02d}": rng.normal(1.0 if i % 4 == 0 else 0.0, 1, ROWS) for i in range(COLUMNS)}
    )
    return reference, current


def timed(function: object, runs: int = RUNS) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        function()  # type: ignore[operator]
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def evidently_seconds(reference: pd.DataFrame, current: pd.DataFrame) -> float | None:
    if importlib.util.find_spec("evidently") is None:
        return None
    from evidently import Report  # type: ignore[import-not-found]
    from evidently.presets import DataDriftPreset  # type: ignore[import-not-found]

    return timed(lambda: Report([DataDriftPreset()]).run(current, reference), runs=1)


def main() -> dict:
    reference, current = frames()
    result = drift.analyse(reference, current)
    seconds = timed(lambda: drift.analyse(reference, current))
    psi_only = timed(
        lambda: [drift.psi(reference[c].to_numpy(), current[c].to_numpy()) for c in reference]
    )
    ks_only = timed(
        lambda: [drift.ks(reference[c].to_numpy(), current[c].to_numpy()) for c in reference]
    )
    return {
        "rows": ROWS,
        "columns": COLUMNS,
        "drift_50k_x20_s": round(seconds, 4),
        "psi_50k_x20_s": round(psi_only, 4),
        "ks_50k_x20_s": round(ks_only, 4),
        "drifted_columns": result.drifted_columns,
        # None: evidently is not installed in this environment (optional extra).
        "evidently_data_drift_preset_s": evidently_seconds(reference, current),
    }


if __name__ == "__main__":
    print(json.dumps(main()))
