"""Cost-aware backtest of a direction model on its hold-out (pure: no ORM).

The rule mirrors the live long/flat strategy: hold one unit while the model calls "up" with at
least ``min_confidence``, stay flat otherwise. Each change of position pays ``cost_bps`` of
notional (commission plus slippage). Symbols are equally weighted per bar time.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class BacktestResult:
    total_return: float
    sharpe: float
    max_drawdown: float
    turnover: float
    bars: int

    def as_dict(self) -> dict[str, float]:
        return {f"backtest_{key}": float(value) for key, value in asdict(self).items()}


def max_drawdown(equity: np.ndarray) -> float:
    """Largest peak-to-trough fall of an equity curve, as a fraction of the peak (>= 0)."""
    if not len(equity):
        return 0.0
    peaks = np.maximum.accumulate(np.concatenate([[1.0], equity]))[1:]
    return float(np.max(1.0 - equity / peaks))


def run(
    rows: pd.DataFrame,
    proba_up: np.ndarray,
    *,
    cost_bps: float,
    periods_per_year: float,
    min_confidence: float = 0.5,
) -> BacktestResult:
    """Backtest over ``rows`` (timestamp, symbol, forward_return) with the model's P(up).

    Steps: 1. position per row from the probability; 2. per symbol, cost on each position
    change; 3. equal-weight average per bar time; 4. compound into an equity curve.
    """
    frame = rows.loc[:, ["timestamp", "symbol", "forward_return"]].copy()
    frame["position"] = (proba_up >= max(min_confidence, 0.5)).astype(float)
    frame = frame.sort_values(["symbol", "timestamp"], kind="mergesort")
    change = frame.groupby("symbol")["position"].diff().fillna(frame["position"]).abs()
    frame["net"] = frame["position"] * frame["forward_return"] - change * cost_bps / 10_000
    frame["change"] = change
    per_bar = frame.groupby("timestamp")[["net", "change"]].mean().sort_index()
    returns = per_bar["net"].to_numpy()
    equity = np.cumprod(1.0 + returns)
    std = float(np.std(returns, ddof=1)) if len(returns) > 1 else 0.0
    sharpe = float(np.mean(returns) / std * math.sqrt(periods_per_year)) if std > 0 else 0.0
    return BacktestResult(
        total_return=float(equity[-1] - 1.0) if len(equity) else 0.0,
        sharpe=sharpe,
        max_drawdown=max_drawdown(equity),
        turnover=float(per_bar["change"].mean()) if len(per_bar) else 0.0,
        bars=len(per_bar),
    )
