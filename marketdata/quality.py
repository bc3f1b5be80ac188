"""Bar validation (pure): which incoming bars are fit to store, and which are fit to trust.

Two stages, each with reason codes from a small fixed set (they label metrics):

1. **Rejection** (``validate_bars``): a bar that is wrong on its face (non-positive or
   non-finite price, inconsistent OHLC, negative volume, a timestamp in the future or out of
   order, a second version of an already seen bar from the same source) is never stored.
2. **Quarantine** (``BarAssessor``): a bar that is well formed but implausible given recent
   behaviour is stored with status ``quarantined`` and kept away from features, signals and
   orders until the following bars stay at its level or the second provider agrees
   (``confirmed``; agreement alone does not confirm a move past
   ``reference_confirm_max_jump_pct``), or an operator releases or discards it.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from statistics import median
from typing import Any

from marketdata.providers.base import RawBar

NON_FINITE_PRICE = "non_finite_price"
NON_POSITIVE_PRICE = "non_positive_price"
HIGH_BELOW_LOW = "high_below_low"
HIGH_BELOW_OPEN_CLOSE = "high_below_open_close"
LOW_ABOVE_OPEN_CLOSE = "low_above_open_close"
NEGATIVE_VOLUME = "negative_volume"
TIMESTAMP_OUT_OF_ORDER = "timestamp_out_of_order"
TIMESTAMP_IN_FUTURE = "timestamp_in_future"
DUPLICATE_CONFLICT = "duplicate_conflict"

# Quarantine reasons.
ROBUST_ZSCORE = "robust_zscore"
JUMP_FROM_TRUSTED = "jump_from_trusted"
WICK_OUTLIER = "wick_outlier"
PROVIDER_DISAGREEMENT = "provider_disagreement"
FROZEN_SERIES = "frozen_series"

# Statuses, spelled as marketdata.choices.BarStatus (this module imports no Django).
OK = "ok"
QUARANTINED = "quarantined"
CONFIRMED = "confirmed"


@dataclass(frozen=True, slots=True)
class RejectedBar:
    bar: RawBar
    reasons: tuple[str, ...]


@dataclass(slots=True)
class ValidationResult:
    accepted: list[RawBar] = field(default_factory=list)
    rejected: list[RejectedBar] = field(default_factory=list)
    # Exact repeats of an accepted bar: harmless (a re-sent page), dropped without a count.
    repeated: list[RawBar] = field(default_factory=list)


def same_values(a: RawBar, b: RawBar) -> bool:
    return (a.open, a.high, a.low, a.close, a.volume) == (b.open, b.high, b.low, b.close, b.volume)


def bar_defects(bar: RawBar) -> list[str]:
    """Everything wrong with one bar on its own (no context needed)."""
    prices = (bar.open, bar.high, bar.low, bar.close)
    if not all(price.is_finite() for price in prices) or not bar.volume.is_finite():
        return [NON_FINITE_PRICE]
    defects = []
    if any(price <= 0 for price in prices):
        defects.append(NON_POSITIVE_PRICE)
    if bar.high < bar.low:
        defects.append(HIGH_BELOW_LOW)
    if bar.high < max(bar.open, bar.close):
        defects.append(HIGH_BELOW_OPEN_CLOSE)
    if bar.low > min(bar.open, bar.close):
        defects.append(LOW_ABOVE_OPEN_CLOSE)
    if bar.volume < 0:
        defects.append(NEGATIVE_VOLUME)
    return defects


def validate_bars(
    bars: Iterable[RawBar], *, previous_timestamp: datetime | None, now: datetime
) -> ValidationResult:
    """Split ``bars`` (in arrival order) into accepted and rejected.

    A bar must be newer than the last accepted one (or ``previous_timestamp``, the newest
    stored bar before the window) and must not start in the future. A bar with the same
    timestamp as the last accepted one is a repeat when its values are equal (dropped) and a
    conflicting duplicate otherwise (rejected: the source said two different things).
    """
    result = ValidationResult()
    last = previous_timestamp
    last_bar: RawBar | None = None
    for bar in bars:
        reasons = bar_defects(bar)
        if last_bar is not None and bar.timestamp == last_bar.timestamp:
            if not reasons and same_values(bar, last_bar):
                result.repeated.append(bar)
                continue
            reasons.append(DUPLICATE_CONFLICT)
        elif last is not None and bar.timestamp <= last:
            reasons.append(TIMESTAMP_OUT_OF_ORDER)
        if bar.timestamp > now:
            reasons.append(TIMESTAMP_IN_FUTURE)
        if reasons:
            result.rejected.append(RejectedBar(bar=bar, reasons=tuple(reasons)))
        else:
            result.accepted.append(bar)
            last, last_bar = bar.timestamp, bar
    return result


def duplicate_conflicts(
    bars: Iterable[RawBar], stored: Mapping[datetime, RawBar]
) -> tuple[list[RawBar], list[RejectedBar]]:
    """Split bars already stored from the same source into (new, conflicting).

    A bar whose timestamp is stored with equal values is an idempotent re-delivery and is
    dropped; with different values it is a conflicting duplicate and rejected.
    """
    new, conflicts = [], []
    for bar in bars:
        previous = stored.get(bar.timestamp)
        if previous is None:
            new.append(bar)
        elif not same_values(bar, previous):
            conflicts.append(RejectedBar(bar=bar, reasons=(DUPLICATE_CONFLICT,)))
    return new, conflicts


# --- quarantine ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlausibilityRules:
    """Thresholds of the quarantine rules (settings ``MARKETDATA_QUALITY_*``)."""

    window: int = 60  # trusted log returns in the rolling median / MAD
    min_history: int = 20  # returns needed before the z-score rule applies
    zscore_threshold: float = 15.0  # robust z of the log return
    jump_pct: float = 10.0  # move of the close from the last trusted close
    wick_pct: float = 10.0  # high above max(open, close), or low below min(open, close)
    disagreement_bps: float = 100.0  # close vs the second provider's close
    frozen_bars: int = 10  # identical OHLC bars in a row while the market is open
    confirm_bars: int = 3  # following bars at the new level that confirm a move
    # Past this move from the last trusted close a second provider's agreement does not
    # confirm: both may relay one erroneous print (a tenfold tick), and marking a book to it
    # fakes a profit, then a drawdown. Followers at the new level or an operator still can.
    reference_confirm_max_jump_pct: float = 50.0
    min_scale: float = 5e-5  # floor of the MAD scale, so a quiet series is not all outliers
    rescale_every: int = 8  # recompute median and MAD every this many trusted returns


@dataclass(slots=True)
class AssessedBar:
    """A well-formed bar and its verdict; ``stored`` marks one carried over from the database.

    ``bar`` is whatever the caller assessed (a RawBar, or a row index for array input).
    While quarantined, ``anchor`` is the last trusted close before it and ``followers`` how
    many later bars stayed nearer its close than the anchor (its new level).
    """

    bar: Any
    close: float
    status: str = OK
    reasons: list[str] = field(default_factory=list)
    stored: bool = False
    anchor: float | None = None
    followers: int = 0


def always_open(moment: datetime) -> bool:
    return True


TRUSTED = (OK, CONFIRMED, "released")


class BarAssessor:
    """Streams one instrument's well-formed bars, oldest first, into ok / quarantined / confirmed.

    State: the last trusted close, a window of trusted log returns (their median and MAD give
    the robust scale), the quarantined bars still waiting for confirmation (``pending``), and
    the run of identical OHLC bars. ``replay`` rebuilds it from stored bars, so a quarantined
    bar can be confirmed by bars of a later ingest cycle. Arithmetic is on floats: the rules
    compare ratios, and float keeps a million bars within seconds.
    """

    def __init__(
        self,
        rules: PlausibilityRules | None = None,
        *,
        is_open: Callable[[datetime], bool] = always_open,
    ) -> None:
        self.rules = rules or PlausibilityRules()
        self.is_open = is_open
        self.returns: deque[float] = deque(maxlen=self.rules.window)
        self.last_trusted: float | None = None
        self.pending: list[AssessedBar] = []
        self._since_rescale = 0
        self._centre, self._scale = 0.0, self.rules.min_scale
        self._last_ohlc: tuple[float, float, float, float] | None = None
        self._frozen_run = 0
        self._replaying = False

    def replay(self, stored: Iterable[tuple[RawBar, str]]) -> list[AssessedBar]:
        """Rebuild the state from stored (bar, status) pairs, oldest first, keeping statuses.

        Returns the stored bars that are still pending: the caller updates any of them the
        next bars confirm.
        """
        self._replaying = True  # one rescale at the end instead of one per stored bar
        for bar, status in stored:
            ohlc = _floats(bar)
            close = ohlc[3]
            self._follow(close)
            self._frozen(bar.timestamp, ohlc)
            if status in TRUSTED:
                self._trust(close, rebase=status != OK)
            elif status == QUARANTINED and self.last_trusted is not None:
                self.pending.append(
                    AssessedBar(bar, close, status, stored=True, anchor=self.last_trusted)
                )
        self._replaying = False
        if self.returns:
            self._rescale()
        return list(self.pending)

    # -- state ------------------------------------------------------------------------------

    def _trust(self, close: float, *, rebase: bool = False) -> None:
        """Make ``close`` the last trusted price; a confirmed jump rebases without a return."""
        if self.last_trusted is not None and not rebase:
            self.returns.append(math.log(close / self.last_trusted))
            self._since_rescale += 1
            warming_up = len(self.returns) < self.rules.window
            due = warming_up or self._since_rescale >= self.rules.rescale_every
            if due and not self._replaying:
                self._rescale()
        self.last_trusted = close

    def _rescale(self) -> None:
        self._since_rescale = 0
        self._centre = median(self.returns)
        mad = median([abs(r - self._centre) for r in self.returns])
        # 1.4826 * MAD estimates the standard deviation of normal returns.
        self._scale = max(1.4826 * mad, self.rules.min_scale)

    def _frozen(self, moment: datetime, ohlc: tuple[float, float, float, float]) -> bool:
        if ohlc != self._last_ohlc:
            self._last_ohlc, self._frozen_run = ohlc, 1
            return False
        if self.is_open(moment):
            self._frozen_run += 1
        return self._frozen_run >= self.rules.frozen_bars

    def _follow(self, close: float) -> None:
        """Count ``close`` for every pending bar; confirm those it keeps at their new level.

        A follower "stays at the new level" when it is nearer the quarantined close than the
        trusted close before it: a bad tick's followers go back to the old price, a real
        move's followers do not. One follower that goes back ends the wait (stays quarantined).
        """
        if not self.pending:
            return
        still, confirmed_anchors = [], set()
        for item in self.pending:
            if item.anchor is None or abs(close - item.close) >= abs(close - item.anchor):
                continue
            item.followers += 1
            if item.followers >= self.rules.confirm_bars:
                confirmed_anchors.add(item.anchor)
            still.append(item)
        # Later bars of the same stretch (same anchor) were followers at the level too.
        self.pending = []
        for item in still:
            if item.anchor in confirmed_anchors:
                item.status = CONFIRMED
                self._trust(item.close, rebase=True)
            else:
                self.pending.append(item)

    # -- rules ------------------------------------------------------------------------------

    def _level_reasons(self, ohlc: tuple[float, float, float, float]) -> list[str]:
        reasons = []
        rules = self.rules
        open_, high, low, close = ohlc
        if self.last_trusted is not None:
            if abs(close / self.last_trusted - 1) * 100 > rules.jump_pct:
                reasons.append(JUMP_FROM_TRUSTED)
            if len(self.returns) >= rules.min_history:
                z = abs(math.log(close / self.last_trusted) - self._centre) / self._scale
                if z > rules.zscore_threshold:
                    reasons.append(ROBUST_ZSCORE)
        body_high, body_low = max(open_, close), min(open_, close)
        if (high / body_high - 1) * 100 > rules.wick_pct or (
            1 - low / body_low
        ) * 100 > rules.wick_pct:
            reasons.append(WICK_OUTLIER)
        return reasons

    def _vouchable(self, close: float) -> bool:
        """Whether a move is small enough for a second provider's agreement to confirm it."""
        if self.last_trusted is None:
            return True
        move_pct = abs(close / self.last_trusted - 1) * 100
        return move_pct <= self.rules.reference_confirm_max_jump_pct

    def _disagrees(self, close: float, reference: Decimal | float | None) -> bool:
        if reference is None:
            return False
        return abs(close / float(reference) - 1) * 10_000 > self.rules.disagreement_bps

    # -- verdict ----------------------------------------------------------------------------

    def assess(self, bar: RawBar, reference_close: Decimal | float | None = None) -> AssessedBar:
        """The verdict on ``bar``; may also confirm earlier pending bars (their status changes)."""
        return self.assess_values(bar, bar.timestamp, _floats(bar), reference_close)

    def assess_values(
        self,
        bar: Any,
        moment: datetime,
        ohlc: tuple[float, float, float, float],
        reference_close: Decimal | float | None = None,
    ) -> AssessedBar:
        """``assess`` on plain floats (``bar`` is only carried along).

        Steps: 1. the bar counts as a follower of every pending bar (which may confirm them
        and move the trusted level); 2. level rules against the trusted state; 3. the second
        provider's close; 4. the frozen-series run; 5. ok bars become trusted; a second
        provider that agrees confirms at once; other quarantined bars wait for followers.
        """
        close = ohlc[3]
        self._follow(close)
        item = AssessedBar(bar, close, reasons=self._level_reasons(ohlc))
        disagrees = self._disagrees(close, reference_close)
        if disagrees:
            item.reasons.append(PROVIDER_DISAGREEMENT)
        if self._frozen(moment, ohlc):
            item.reasons.append(FROZEN_SERIES)
        if not item.reasons:
            self._trust(close)
            return item
        item.status = QUARANTINED
        if FROZEN_SERIES in item.reasons:
            return item  # a stuck feed is not a new level: followers do not confirm it
        if reference_close is not None and not disagrees and self._vouchable(close):
            # The second provider sees the same price: a real move, trusted at once.
            item.status = CONFIRMED
            self._trust(close, rebase=True)
            return item
        if self.last_trusted is not None:
            item.anchor = self.last_trusted
            self.pending.append(item)
        return item


def _floats(bar: RawBar) -> tuple[float, float, float, float]:
    return float(bar.open), float(bar.high), float(bar.low), float(bar.close)


def assess_bars(
    bars: Iterable[RawBar],
    rules: PlausibilityRules | None = None,
    *,
    references: Mapping[datetime, Decimal] | None = None,
    is_open: Callable[[datetime], bool] = always_open,
) -> list[AssessedBar]:
    """Verdicts on a whole series from scratch (``check_bars``, benchmarks, tests)."""
    assessor = BarAssessor(rules, is_open=is_open)
    references = references or {}
    return [assessor.assess(bar, references.get(bar.timestamp)) for bar in bars]


def check_series(
    bars: Sequence[RawBar],
    rules: PlausibilityRules | None = None,
    *,
    now: datetime,
    references: Mapping[datetime, Decimal] | None = None,
    is_open: Callable[[datetime], bool] = always_open,
) -> dict[str, Any]:
    """The whole pipeline over one symbol's series, as ``check_bars`` reports it.

    Flagged rows are the rejected ones and every bar whose final status is not ``ok``
    (quarantined, or confirmed after a quarantine), oldest first.
    """
    validated = validate_bars(bars, previous_timestamp=None, now=now)
    assessed = assess_bars(validated.accepted, rules, references=references, is_open=is_open)
    flagged = [(r.bar.timestamp, "rejected", list(r.reasons)) for r in validated.rejected] + [
        (a.bar.timestamp, a.status, a.reasons) for a in assessed if a.status != OK
    ]
    flagged.sort(key=lambda row: row[0])
    counts = {"rejected": len(validated.rejected), QUARANTINED: 0, CONFIRMED: 0, OK: 0}
    for item in assessed:
        counts[item.status] += 1
    return {
        "counts": counts,
        "flagged": [
            {"timestamp": ts.isoformat(), "status": status, "reasons": reasons}
            for ts, status, reasons in flagged
        ],
    }
