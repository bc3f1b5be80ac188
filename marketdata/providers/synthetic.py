"""Deterministic synthetic bars: seeded geometric Brownian motion with realistic volume.

The same (seed, symbol, timestamp) always gives the same bar, whatever window is asked for,
so a re-ingest or a second process sees identical prices. The path is built from one-day
blocks of one-minute steps; each block has its own seeded generator, and the log price at the
start of a block is the running sum of the blocks before it (memoised per process).
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np

from marketdata import samples
from marketdata.providers.base import FetchResult, RawBar
from marketdata.timeframes import floor_to_timeframe, timeframe_delta

ORIGIN = datetime(2024, 1, 1, tzinfo=UTC)
BLOCK_MINUTES = 1440
MINUTES_PER_YEAR = 252 * 390  # trading minutes: volatility is quoted per trading year
_PRICE_STEP = Decimal("0.0001")


class _SymbolPath:
    """The minute-by-minute GBM path of one symbol."""

    def __init__(self, seed: int, symbol: str) -> None:
        key = int.from_bytes(hashlib.sha256(symbol.encode()).digest()[:8], "big")
        self.seed = seed
        self.key = key
        self.start_price = 20.0 + key % 480
        self.sigma = (0.20 + (key % 30) / 100) / math.sqrt(MINUTES_PER_YEAR)
        self.mu = 0.05 / MINUTES_PER_YEAR
        self.base_volume = 2_000.0 + (key % 50) * 400.0
        self._block_start_log: list[float] = [math.log(self.start_price)]
        self._block_cache: dict[int, dict[str, np.ndarray]] = {}

    def _block(self, index: int) -> dict[str, np.ndarray]:
        cached = self._block_cache.get(index)
        if cached is not None:
            return cached
        rng = np.random.default_rng([self.seed, self.key, index])
        shocks = rng.standard_normal(BLOCK_MINUTES)
        steps = (self.mu - 0.5 * self.sigma**2) + self.sigma * shocks
        block = {
            "steps": steps,
            "wick": np.abs(rng.standard_normal((2, BLOCK_MINUTES))) * self.sigma * 0.5,
            "volume": rng.lognormal(mean=0.0, sigma=0.35, size=BLOCK_MINUTES),
        }
        if len(self._block_cache) > 64:
            self._block_cache.clear()
        self._block_cache[index] = block
        return block

    def _log_price_at_block(self, index: int) -> float:
        while len(self._block_start_log) <= index:
            i = len(self._block_start_log) - 1
            self._block_start_log.append(
                self._block_start_log[i] + float(self._block(i)["steps"].sum())
            )
        return self._block_start_log[index]

    def minute_bars(self, first_minute: int, count: int) -> np.ndarray:
        """Rows of (open, high, low, close, volume) for minutes ``first_minute`` onward."""
        rows = np.empty((count, 5))
        done = 0
        while done < count:
            minute = first_minute + done
            index, offset = divmod(minute, BLOCK_MINUTES)
            block = self._block(index)
            take = min(count - done, BLOCK_MINUTES - offset)
            steps = block["steps"][offset : offset + take]
            start_log = self._log_price_at_block(index) + float(block["steps"][:offset].sum())
            log_path = start_log + np.concatenate(([0.0], np.cumsum(steps)))
            opens, closes = np.exp(log_path[:-1]), np.exp(log_path[1:])
            wick = block["wick"][:, offset : offset + take]
            moves = np.abs(steps) / self.sigma
            rows[done : done + take, 0] = opens
            rows[done : done + take, 1] = np.maximum(opens, closes) * np.exp(wick[0])
            rows[done : done + take, 2] = np.minimum(opens, closes) * np.exp(-wick[1])
            rows[done : done + take, 3] = closes
            # Volume rises with the size of the move, as it does in real markets. Whole units
            # per minute, so longer bars are exact sums of their minutes.
            rows[done : done + take, 4] = np.floor(
                self.base_volume * block["volume"][offset : offset + take] * (1 + 0.5 * moves)
            )
            done += take
        return rows


def _price(value: float) -> Decimal:
    return Decimal(repr(float(value))).quantize(_PRICE_STEP)


class SyntheticProvider:
    """Bars for any symbol, from a seeded GBM path; never fails on its own."""

    name = "synthetic"

    def __init__(self, *, seed: int, faults: Sequence[InjectedFault] = ()) -> None:
        self.seed = seed
        self.faults = list(faults)
        self._paths: dict[str, _SymbolPath] = {}

    def _path(self, symbol: str) -> _SymbolPath:
        if symbol not in self._paths:
            self._paths[symbol] = _SymbolPath(self.seed, symbol)
        return self._paths[symbol]

    def fetch_bars(
        self, *, symbol: str, timeframe: str, start: datetime, end: datetime
    ) -> FetchResult:
        step = timeframe_delta(timeframe)
        first = max(floor_to_timeframe(start, timeframe), ORIGIN)
        if first < start:
            first += step
        if end <= first:
            return FetchResult()
        minutes_per_bar = int(step / timedelta(minutes=1))
        bar_count = int((end - first) / step) + (1 if (end - first) % step else 0)
        # Windows are clamped to ORIGIN above: earlier times have no synthetic history.
        first_minute = int((first - ORIGIN) / timedelta(minutes=1))
        minutes = self._path(symbol).minute_bars(first_minute, bar_count * minutes_per_bar)
        grouped = minutes.reshape(bar_count, minutes_per_bar, 5)
        bars = [
            RawBar(
                symbol=symbol,
                timestamp=first + i * step,
                open=_price(group[0, 0]),
                high=_price(group[:, 1].max()),
                low=_price(group[:, 2].min()),
                close=_price(group[-1, 3]),
                volume=Decimal(int(group[:, 4].sum())),
            )
            for i, group in enumerate(grouped)
        ]
        if self.faults:
            bars = self._with_faults(symbol, timeframe, bars)
        return FetchResult(bars=bars)

    def _with_faults(self, symbol: str, timeframe: str, bars: list[RawBar]) -> list[RawBar]:
        """The bad ticks configured for ``symbol``, where they fall inside the window."""
        step = timeframe_delta(timeframe)
        for fault in self.faults:
            if fault.symbol != symbol:
                continue
            if fault.kind == SLIDE:
                bars = [_slid(bar, fault.at, step) for bar in bars]
                continue
            length = fault.length if fault.kind == samples.FROZEN else 1
            for i, bar in enumerate(bars):
                if not fault.at <= bar.timestamp < fault.at + length * step:
                    continue
                if fault.kind == samples.FROZEN:
                    stuck = self.fetch_bars(
                        symbol=symbol, timeframe=timeframe, start=fault.at - step, end=fault.at
                    ).bars[0]
                    bars[i] = dataclasses.replace(stuck, timestamp=bar.timestamp)
                else:
                    bars[i] = samples.inject_fault(bars, i, fault.kind)[i]
        return bars


@dataclasses.dataclass(frozen=True, slots=True)
class InjectedFault:
    """A bad tick the synthetic feed produces on purpose (demos, soak runs, game days)."""

    symbol: str
    at: datetime
    kind: str
    length: int = 15  # bars, for a frozen stretch


# Not a bad tick but a genuine sell-off (game days drive a losing day with it): from ``at`` on,
# each bar is ``SLIDE_STEP`` lower than the path for ``SLIDE_BARS`` bars, then stays that low.
# Small steps, so quality checks see an ordinary decline, not a spike.
SLIDE = "slide"
SLIDE_STEP = Decimal("0.003")
SLIDE_BARS = 10


def _slid(bar: RawBar, start: datetime, step: timedelta) -> RawBar:
    if bar.timestamp < start:
        return bar
    bars_in = min(int((bar.timestamp - start) / step) + 1, SLIDE_BARS)
    factor = (1 - SLIDE_STEP) ** bars_in
    return dataclasses.replace(
        bar,
        open=_cents(bar.open * factor),
        high=_cents(bar.high * factor),
        low=_cents(bar.low * factor),
        close=_cents(bar.close * factor),
    )


def _cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))


def parse_faults(text: str) -> list[InjectedFault]:
    """``AAPL@2026-03-02T15:00:00Z=times_ten;MSFT@...=frozen`` (MARKETDATA_SYNTHETIC_FAULTS)."""
    faults = []
    for item in filter(None, (part.strip() for part in text.split(";"))):
        target, _, kind = item.partition("=")
        symbol, _, when = target.partition("@")
        if kind not in samples.FAULT_KINDS or not symbol or not when:
            raise ValueError(f"bad injected fault {item!r}: SYMBOL@ISO-TIME=KIND")
        moment = datetime.fromisoformat(when.replace("Z", "+00:00"))
        faults.append(InjectedFault(symbol=symbol, at=moment.astimezone(UTC), kind=kind))
    return faults
