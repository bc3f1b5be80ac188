from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models_registry import backtest


def rows(returns: list[float], symbol: str = "AAPL") -> pd.DataFrame:
    index = pd.date_range("2024-03-04 14:30", periods=len(returns), freq="1min", tz="UTC")
    return pd.DataFrame({"timestamp": index, "symbol": symbol, "forward_return": returns})


def test_always_long_without_costs_compounds_the_forward_returns():
    data = rows([0.01, -0.02, 0.03])

    result = backtest.run(data, np.ones(3), cost_bps=0, periods_per_year=252)

    assert result.total_return == pytest.approx(1.01 * 0.98 * 1.03 - 1)
    assert result.turnover == pytest.approx(1 / 3)  # one entry over three bars
    assert result.bars == 3


def test_flat_calls_earn_nothing_and_trade_nothing():
    result = backtest.run(rows([0.01, -0.02]), np.zeros(2), cost_bps=5, periods_per_year=252)

    assert result.total_return == 0.0
    assert result.turnover == 0.0
    assert result.max_drawdown == 0.0
    assert result.sharpe == 0.0


def test_every_position_change_pays_the_cost():
    data = rows([0.0, 0.0, 0.0, 0.0])
    proba = np.array([0.9, 0.1, 0.9, 0.1])  # enter, exit, enter, exit

    result = backtest.run(data, proba, cost_bps=10, periods_per_year=252)

    assert result.total_return == pytest.approx((1 - 0.001) ** 4 - 1)


def test_max_drawdown_is_the_largest_fall_from_a_peak():
    equity = np.array([1.0, 1.2, 0.9, 1.1, 0.6, 1.5])

    assert backtest.max_drawdown(equity) == pytest.approx(1 - 0.6 / 1.2)


def test_symbols_are_equally_weighted_per_bar():
    data = pd.concat([rows([0.02]), rows([0.0], symbol="MSFT")])

    result = backtest.run(data, np.ones(2), cost_bps=0, periods_per_year=252)

    assert result.total_return == pytest.approx(0.01)


def test_the_minimum_confidence_keeps_weak_up_calls_flat():
    result = backtest.run(
        rows([0.05]), np.array([0.55]), cost_bps=0, periods_per_year=252, min_confidence=0.6
    )

    assert result.total_return == 0.0


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(min_value=-0.05, max_value=0.05), min_size=2, max_size=50))
def test_drawdown_is_between_zero_and_one_and_costs_never_help(returns):
    proba = np.random.default_rng(len(returns)).random(len(returns))
    free = backtest.run(rows(returns), proba, cost_bps=0, periods_per_year=252)
    costly = backtest.run(rows(returns), proba, cost_bps=20, periods_per_year=252)

    assert 0.0 <= free.max_drawdown <= 1.0
    assert costly.total_return <= free.total_return + 1e-12
