"""Realistic sample series and the bad ticks real feeds produce (pure).

Used by tests, ``check_bars`` demos, soak runs and the benchmarks to show that validation
leaves real-looking history (fat tails, volatility clusters, a genuine crash that persists)
almost untouched while single bad ticks are caught. Plain GBM is too polite for that: real
minute returns have tails closer to a Student t with few degrees of freedom, and volatility
comes in clusters (GARCH).
"""

from __future__ import annotations

import dataclasses
import math
from datetime import datetime, timedelta
from decimal import Decimal

import numpy as np

from marketdata.providers.base import RawBar

_CENT = Decimal("0.01")

# Fault kinds a feed really produces; each turns one bar (or a stretch) bad.
TIMES_TEN = "times_ten"
DIVIDED_BY_TEN = "divided_by_ten"
DROPPED_DIGIT = "dropped_digit"
ZERO = "zero"
FROZEN = "frozen"
FAULT_KINDS = (TIMES_TEN, DIVIDED_BY_TEN, DROPPED_DIGIT, ZERO, FROZEN)


@dataclasses.dataclass(frozen=True, slots=True)
class Crash:
    """A genuine crash: the price falls ``drop_pct`` over ``minutes`` bars and stays down."""

    at: int
    drop_pct: float = 20.0
    minutes: int = 3
    vol_multiplier: float = 3.0  # volatility right after, decaying over about an hour


def _returns(rng: np.random.Generator, count: int, sigma: float, crash: Crash | None) -> np.ndarray:
    """Student-t (4 degrees of freedom) innovations scaled by a GARCH(1,1) volatility."""
    shocks = rng.standard_t(4, size=count) / math.sqrt(2.0)  # t4 has variance 2
    alpha, beta = 0.05, 0.90
    omega = sigma**2 * (1 - alpha - beta)
    variance, returns = sigma**2, np.empty(count)
    for i in range(count):
        boost = 1.0
        if crash is not None and i >= crash.at:
            boost = 1 + (crash.vol_multiplier - 1) * math.exp(-(i - crash.at) / 60)
        returns[i] = math.sqrt(variance) * boost * shocks[i]
        variance = omega + alpha * returns[i] ** 2 + beta * variance
    if crash is not None:
        step = math.log(1 - crash.drop_pct / 100) / crash.minutes
        returns[crash.at : crash.at + crash.minutes] += step
    return returns


def _price(value: float) -> Decimal:
    return Decimal(repr(float(value))).quantize(_CENT)


def realistic_minute_bars(
    *,
    symbol: str = "SAMPLE",
    start: datetime,
    count: int,
    price: float = 150.0,
    annual_vol: float = 0.30,
    seed: int = 0,
    crash: Crash | None = None,
) -> list[RawBar]:
    """``count`` consecutive one-minute bars from ``start`` (prices to the cent)."""
    rng = np.random.default_rng(seed)
    sigma = annual_vol / math.sqrt(252 * 390)
    closes = price * np.exp(np.cumsum(_returns(rng, count, sigma, crash)))
    opens = np.concatenate(([price], closes[:-1]))
    wicks = np.abs(rng.standard_normal((2, count))) * sigma * 0.6
    highs = np.maximum(opens, closes) * np.exp(wicks[0])
    lows = np.minimum(opens, closes) * np.exp(-wicks[1])
    volumes = rng.lognormal(mean=8.0, sigma=0.5, size=count).round()
    bars = []
    for i in range(count):
        o, c = _price(opens[i]), _price(closes[i])
        bars.append(
            RawBar(
                symbol=symbol,
                timestamp=start + timedelta(minutes=i),
                open=o,
                high=max(_price(highs[i]), o, c),
                low=min(_price(lows[i]), o, c),
                close=c,
                volume=Decimal(int(volumes[i])),
            )
        )
    return bars


def _scaled(bar: RawBar, factor: Decimal) -> RawBar:
    return dataclasses.replace(
        bar,
        open=bar.open * factor,
        high=bar.high * factor,
        low=bar.low * factor,
        close=bar.close * factor,
    )


def _drop_digit(value: Decimal) -> Decimal:
    """152.37 -> 12.37: the second significant digit lost, as in a garbled print."""
    digits = str(value)
    head = 1 if digits[0] != "-" else 2
    return Decimal(digits[:head] + digits[head + 1 :])


def inject_fault(bars: list[RawBar], index: int, kind: str, *, length: int = 15) -> list[RawBar]:
    """A copy of ``bars`` with the fault ``kind`` at ``index`` (a stretch of ``length`` for
    FROZEN: the feed repeats the bar before ``index`` with its OHLC unchanged)."""
    faulty = list(bars)
    bar = bars[index]
    if kind == TIMES_TEN:
        faulty[index] = _scaled(bar, Decimal(10))
    elif kind == DIVIDED_BY_TEN:
        faulty[index] = _scaled(bar, Decimal("0.1"))
    elif kind == DROPPED_DIGIT:
        close = _drop_digit(bar.close)
        faulty[index] = dataclasses.replace(bar, open=close, high=close, low=close, close=close)
    elif kind == ZERO:
        faulty[index] = dataclasses.replace(bar, close=Decimal(0))
    elif kind == FROZEN:
        stuck = bars[index - 1]
        for i in range(index, min(index + length, len(bars))):
            faulty[i] = dataclasses.replace(stuck, timestamp=bars[i].timestamp)
    else:
        raise ValueError(f"unknown fault kind {kind!r}; expected one of {FAULT_KINDS}")
    return faulty
