"""Quarantine rules of marketdata.quality: implausible bars held, real moves confirmed."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from marketdata.providers.base import RawBar
from marketdata.quality import (
    CONFIRMED,
    FROZEN_SERIES,
    JUMP_FROM_TRUSTED,
    OK,
    PROVIDER_DISAGREEMENT,
    QUARANTINED,
    ROBUST_ZSCORE,
    WICK_OUTLIER,
    BarAssessor,
    PlausibilityRules,
    assess_bars,
    validate_bars,
)
from marketdata.samples import (
    DIVIDED_BY_TEN,
    DROPPED_DIGIT,
    FROZEN,
    TIMES_TEN,
    ZERO,
    Crash,
    inject_fault,
    realistic_minute_bars,
)

T0 = datetime(2024, 3, 4, 14, 30, tzinfo=UTC)


def flat_bar(i: int, close: str, *, spread: str = "0.05") -> RawBar:
    price, wick = Decimal(close), Decimal(spread)
    return RawBar("AAPL", T0 + timedelta(minutes=i), price, price + wick, price - wick, price, 10)


def walk(closes: list[str]) -> list[RawBar]:
    return [flat_bar(i, close) for i, close in enumerate(closes)]


def quiet_history(count: int = 80, *, seed: int = 1) -> list[RawBar]:
    return realistic_minute_bars(start=T0, count=count, seed=seed, annual_vol=0.2)


def statuses(assessed) -> list[str]:
    return [a.status for a in assessed]


# --- one rule at a time -------------------------------------------------------------------


def test_a_jump_from_the_last_trusted_close_beyond_the_percentage_is_quarantined():
    assessed = assess_bars(walk(["100", "100.1", "112", "100.2"]))

    assert statuses(assessed) == [OK, OK, QUARANTINED, OK]
    assert JUMP_FROM_TRUSTED in assessed[2].reasons


def test_a_move_far_outside_the_recent_robust_range_is_quarantined_even_below_the_jump_limit():
    history = quiet_history()
    spike_close = history[-1].close * Decimal("1.04")
    spike = dataclasses.replace(
        history[-1],
        timestamp=history[-1].timestamp + timedelta(minutes=1),
        open=history[-1].close,
        high=spike_close,
        close=spike_close,
    )

    assessed = assess_bars([*history, spike])

    assert assessed[-1].status == QUARANTINED
    assert assessed[-1].reasons == [ROBUST_ZSCORE]


def test_a_long_wick_on_an_ordinary_body_is_quarantined():
    bar = RawBar("AAPL", T0, Decimal(100), Decimal(150), Decimal(99), Decimal(100), 10)

    assert assess_bars([bar])[0].reasons == [WICK_OUTLIER]


def test_a_close_that_disagrees_with_the_second_provider_is_quarantined():
    bars = walk(["100", "100.1"])
    references = {bars[1].timestamp: Decimal("102")}

    assessed = assess_bars(bars, references=references)

    assert statuses(assessed) == [OK, QUARANTINED]
    assert assessed[1].reasons == [PROVIDER_DISAGREEMENT]


def test_a_jump_the_second_provider_agrees_with_is_confirmed_at_once():
    bars = walk(["100", "100.1", "80"])

    assessed = assess_bars(bars, references={bars[2].timestamp: Decimal("80.05")})

    assert statuses(assessed) == [OK, OK, CONFIRMED]


def test_a_tenfold_print_both_providers_relay_is_not_confirmed_by_their_agreement():
    bars = walk(["100", "100.1", "1001", "100.2"])

    assessed = assess_bars(bars, references={bars[2].timestamp: Decimal("1001")})

    # Quarantined, and the next bar back at the old level is ordinary: nothing trusts 1001.
    assert statuses(assessed) == [OK, OK, QUARANTINED, OK]
    assert JUMP_FROM_TRUSTED in assessed[2].reasons


def test_the_hard_bound_on_agreement_is_a_rule_setting():
    bars = walk(["100", "100.1", "140"])
    references = {bars[2].timestamp: Decimal("140")}

    default = assess_bars(bars, references=references)
    strict = assess_bars(
        bars, PlausibilityRules(reference_confirm_max_jump_pct=30.0), references=references
    )

    assert statuses(default)[-1] == CONFIRMED  # a 40 % move both providers see is real
    assert statuses(strict)[-1] == QUARANTINED


def test_identical_ohlc_for_many_bars_while_the_market_is_open_is_quarantined_from_the_nth():
    rules = PlausibilityRules(frozen_bars=5)
    bars = walk(["100", *["100.5"] * 7])

    assessed = assess_bars(bars, rules)

    assert statuses(assessed) == [OK, OK, OK, OK, OK, QUARANTINED, QUARANTINED, QUARANTINED]
    assert assessed[-1].reasons == [FROZEN_SERIES]


def test_identical_bars_while_the_market_is_closed_are_not_a_frozen_series():
    rules = PlausibilityRules(frozen_bars=3)
    bars = walk(["100", *["100.5"] * 6])

    assessed = assess_bars(bars, rules, is_open=lambda moment: False)

    assert set(statuses(assessed)) == {OK}


# --- confirmation --------------------------------------------------------------------------


def test_a_drop_that_persists_is_confirmed_once_enough_followers_stay_at_the_new_level():
    bars = walk(["100", "100.1", "80", "80.2", "79.9", "80.1", "80.3"])

    assessed = assess_bars(bars, PlausibilityRules(confirm_bars=3))

    assert statuses(assessed) == [OK, OK, CONFIRMED, CONFIRMED, CONFIRMED, OK, OK]


def test_a_single_bad_tick_whose_followers_return_to_the_old_price_stays_quarantined():
    assessed = assess_bars(walk(["100", "100.1", "1001", "100.2", "100.1", "100.3", "100.2"]))

    assert statuses(assessed) == [OK, OK, QUARANTINED, OK, OK, OK, OK]


def test_a_quarantined_bar_is_confirmed_by_bars_of_a_later_cycle_after_a_replay():
    first_cycle = assess_bars(walk(["100", "100.1", "80"]))
    stored = [(a.bar, a.status) for a in first_cycle]
    assessor = BarAssessor()

    carried = assessor.replay(stored)
    later = [assessor.assess(bar) for bar in walk(["0", "0", "0", "80.2", "79.9", "80.1"])[3:]]

    assert [a.status for a in carried] == [CONFIRMED]
    assert statuses(later) == [CONFIRMED, CONFIRMED, OK]


# --- real history and real bad ticks -------------------------------------------------------


def test_real_looking_history_with_a_genuine_crash_comes_out_almost_clean():
    bars = realistic_minute_bars(start=T0, count=20_000, seed=3, crash=Crash(at=10_000))

    assessed = assess_bars(bars)

    counts = Counter(statuses(assessed))
    assert counts[QUARANTINED] / len(bars) < 0.002
    assert statuses(assessed[10_000:10_003]) == [CONFIRMED] * 3


FAULTS = [TIMES_TEN, DIVIDED_BY_TEN, DROPPED_DIGIT, ZERO]


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=10_000),
    index=st.integers(min_value=100, max_value=390),
    kind=st.sampled_from(FAULTS),
)
def test_a_single_bad_tick_anywhere_is_rejected_or_quarantined(seed, index, kind):
    bars = realistic_minute_bars(start=T0, count=400, seed=seed)
    faulty = inject_fault(bars, index, kind)

    checked = validate_bars(faulty, previous_timestamp=None, now=T0 + timedelta(days=1))
    assessed = {a.bar.timestamp: a for a in assess_bars(checked.accepted)}

    bad = faulty[index]
    rejected = bad in [r.bar for r in checked.rejected]
    assert rejected or assessed[bad.timestamp].status == QUARANTINED


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(min_value=0, max_value=10_000), index=st.integers(100, 300))
def test_a_frozen_stretch_is_quarantined_from_the_threshold_on(seed, index):
    rules = PlausibilityRules(frozen_bars=10)
    faulty = inject_fault(realistic_minute_bars(start=T0, count=400, seed=seed), index, FROZEN)

    assessed = assess_bars(faulty, rules)

    # The bar before the stretch is the first of the identical run.
    stretch = statuses(assessed[index : index + 15])
    assert stretch[:8] == [OK] * 8
    assert stretch[8:] == [QUARANTINED] * 7


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=10_000),
    drop=st.floats(min_value=12, max_value=60),
    minutes=st.integers(min_value=1, max_value=3),
)
def test_any_crash_that_persists_ends_up_confirmed_not_quarantined(seed, drop, minutes):
    crash = Crash(at=300, drop_pct=drop, minutes=minutes, vol_multiplier=1.0)
    bars = realistic_minute_bars(start=T0, count=400, seed=seed, crash=crash)

    assessed = assess_bars(bars)

    assert all(a.status == CONFIRMED for a in assessed[300 : 300 + minutes])


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(min_value=0, max_value=10_000))
def test_a_quiet_series_without_faults_is_never_quarantined(seed):
    bars = realistic_minute_bars(start=T0, count=300, seed=seed, annual_vol=0.15)

    # GARCH with Student-t tails can still produce a rare genuine outlier; none may persist
    # as quarantined once its followers are in.
    assessed = assess_bars(bars)

    assert Counter(statuses(assessed[:-3]))[QUARANTINED] <= 1


# --- each quarantine rule as a property over generated series --------------------------------


def _moved(bar: RawBar, previous: RawBar, factor: float) -> RawBar:
    """``bar`` replaced by a flat move of ``factor`` from the previous close."""
    close = (previous.close * Decimal(repr(factor))).quantize(Decimal("0.01"))
    return dataclasses.replace(
        bar, open=previous.close, high=max(previous.close, close), low=min(previous.close, close),
        close=close,
    )  # fmt: skip


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    index=st.integers(100, 290),
    move_pct=st.floats(min_value=10.5, max_value=80),
    down=st.booleans(),
)
def test_any_jump_beyond_the_limit_is_quarantined_for_the_jump(seed, index, move_pct, down):
    bars = realistic_minute_bars(start=T0, count=300, seed=seed, annual_vol=0.2)
    factor = 1 - move_pct / 100 if down else 1 + move_pct / 100
    bars[index] = _moved(bars[index], bars[index - 1], factor)

    verdict = assess_bars(bars)[index]

    assert verdict.status == QUARANTINED
    assert JUMP_FROM_TRUSTED in verdict.reasons


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    index=st.integers(100, 290),
    sigmas=st.floats(min_value=40, max_value=120),
)
def test_any_move_of_many_robust_sigmas_below_the_jump_limit_trips_the_z_score(seed, index, sigmas):
    bars = realistic_minute_bars(start=T0, count=300, seed=seed, annual_vol=0.15)
    sigma = 0.15 / (252 * 390) ** 0.5
    factor = 1 + min(sigmas * sigma, 0.09)  # stays under the 10 % jump limit
    bars[index] = _moved(bars[index], bars[index - 1], factor)

    verdict = assess_bars(bars)[index]

    assert verdict.status == QUARANTINED
    assert ROBUST_ZSCORE in verdict.reasons


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    index=st.integers(0, 299),
    wick_pct=st.floats(min_value=10.5, max_value=300),
    upper=st.booleans(),
)
def test_any_wick_beyond_the_limit_is_quarantined(seed, index, wick_pct, upper):
    bars = realistic_minute_bars(start=T0, count=300, seed=seed)
    bar = bars[index]
    if upper:
        body = max(bar.open, bar.close)
        bars[index] = dataclasses.replace(bar, high=body * Decimal(repr(1 + wick_pct / 100)))
    else:
        body = min(bar.open, bar.close)
        low = body * Decimal(repr(max(1 - wick_pct / 100, 0.01)))
        bars[index] = dataclasses.replace(bar, low=low)

    assert WICK_OUTLIER in assess_bars(bars)[index].reasons


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    offset_bps=st.floats(min_value=-5_000, max_value=5_000).filter(
        lambda bps: abs(abs(bps) - 100) > 1
    ),
)
def test_the_second_provider_quarantines_beyond_the_tolerance_and_only_then(seed, offset_bps):
    bars = realistic_minute_bars(start=T0, count=120, seed=seed, annual_vol=0.15)
    last = bars[-1]
    reference = float(last.close) / (1 + offset_bps / 10_000)

    verdict = assess_bars(bars, references={last.timestamp: Decimal(repr(reference))})[-1]

    if abs(offset_bps) > 100:
        assert PROVIDER_DISAGREEMENT in verdict.reasons
        assert verdict.status == QUARANTINED
    else:
        assert PROVIDER_DISAGREEMENT not in verdict.reasons
