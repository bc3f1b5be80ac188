"""Benchmark sizes: each knob is its own environment variable; ``BENCH_SMOKE=1`` switches
every knob left unset to a tiny size, so ``make bench-smoke`` proves each benchmark still runs
without paying for a real measurement."""

from __future__ import annotations

import os


def smoke() -> bool:
    return os.environ.get("BENCH_SMOKE", "") == "1"


def size(name: str, full: int, tiny: int) -> int:
    """The variable ``name`` if set, else ``tiny`` under BENCH_SMOKE=1, else ``full``."""
    return int(os.environ.get(name) or (tiny if smoke() else full))


def seconds(name: str, full: float, tiny: float) -> float:
    """As ``size``, for a duration in seconds."""
    return float(os.environ.get(name) or (tiny if smoke() else full))
