from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.exceptions import ValidationFailed
from marketdata.providers.synthetic import (
    BLOCK_MINUTES,
    ORIGIN,
    SLIDE,
    SLIDE_BARS,
    InjectedFault,
    SyntheticProvider,
)
from marketdata.quality import bar_defects

SEED = 7
T0 = ORIGIN + timedelta(days=3, hours=14, minutes=30)


def fetch(provider, start, end, *, symbol="AAPL", timeframe="1m"):
    return provider.fetch_bars(symbol=symbol, timeframe=timeframe, start=start, end=end).bars


def minutes(n: int) -> timedelta:
    return timedelta(minutes=n)


@pytest.fixture
def provider() -> SyntheticProvider:
    return SyntheticProvider(seed=SEED)


def test_bars_cover_the_half_open_window_one_per_minute(provider):
    bars = fetch(provider, T0, T0 + minutes(100))

    assert [bar.timestamp for bar in bars] == [T0 + minutes(i) for i in range(100)]
    assert {bar.symbol for bar in bars} == {"AAPL"}


def test_overlapping_windows_give_identical_bars_on_the_overlap(provider):
    wide = fetch(provider, T0, T0 + minutes(100))
    narrow = fetch(provider, T0 + minutes(50), T0 + minutes(60))

    assert narrow == wide[50:60]


def test_a_window_across_a_day_boundary_matches_the_same_bars_fetched_in_pieces(provider):
    boundary = ORIGIN + minutes(5 * BLOCK_MINUTES)
    whole = fetch(provider, boundary - minutes(30), boundary + minutes(30))

    before = fetch(provider, boundary - minutes(30), boundary)
    after = fetch(provider, boundary, boundary + minutes(30))

    assert before + after == whole


def test_a_new_provider_with_the_same_seed_gives_the_same_bars(provider):
    first = fetch(provider, T0, T0 + minutes(30))

    assert fetch(SyntheticProvider(seed=SEED), T0, T0 + minutes(30)) == first


def test_bars_do_not_depend_on_what_was_fetched_before(provider):
    far_later = ORIGIN + timedelta(days=200)  # past the per-process block cache size
    fetch(provider, far_later, far_later + minutes(10))

    assert fetch(provider, T0, T0 + minutes(30)) == fetch(
        SyntheticProvider(seed=SEED), T0, T0 + minutes(30)
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    first=st.integers(min_value=0, max_value=10 * BLOCK_MINUTES),
    length=st.integers(min_value=1, max_value=600),
    inner_offset=st.integers(min_value=0, max_value=599),
    inner_length=st.integers(min_value=1, max_value=600),
)
def test_any_sub_window_returns_exactly_the_matching_bars(
    first, length, inner_offset, inner_length
):
    start = ORIGIN + minutes(first)
    outer = fetch(SyntheticProvider(seed=SEED), start, start + minutes(length))
    inner_offset = min(inner_offset, length - 1)
    inner_length = min(inner_length, length - inner_offset)
    inner_start = start + minutes(inner_offset)

    inner = fetch(SyntheticProvider(seed=SEED), inner_start, inner_start + minutes(inner_length))

    assert inner == outer[inner_offset : inner_offset + inner_length]


def test_different_symbols_get_different_prices(provider):
    aapl = fetch(provider, T0, T0 + minutes(20), symbol="AAPL")
    msft = fetch(provider, T0, T0 + minutes(20), symbol="MSFT")

    assert [bar.close for bar in aapl] != [bar.close for bar in msft]


def test_different_seeds_give_different_paths_for_the_same_symbol():
    one = fetch(SyntheticProvider(seed=1), T0, T0 + minutes(20))
    two = fetch(SyntheticProvider(seed=2), T0, T0 + minutes(20))

    assert [bar.close for bar in one] != [bar.close for bar in two]


@pytest.mark.parametrize("timeframe", ["1m", "5m", "15m", "1h", "1d"])
@pytest.mark.parametrize("symbol", ["AAPL", "MSFT", "SPY", "BTC-USD"])
def test_every_bar_passes_the_quality_rules_and_has_positive_volume(provider, symbol, timeframe):
    start = ORIGIN + timedelta(days=40)
    bars = fetch(provider, start, start + timedelta(days=3), symbol=symbol, timeframe=timeframe)

    assert bars
    assert all(bar_defects(bar) == [] for bar in bars)
    assert all(bar.volume > 0 for bar in bars)
    assert all(bar.volume == bar.volume.to_integral_value() for bar in bars)


def test_bars_are_consecutive_and_aligned_to_the_timeframe(provider):
    bars = fetch(provider, T0 + minutes(2), T0 + minutes(62), timeframe="5m")

    assert [bar.timestamp for bar in bars] == [T0 + minutes(5 * (i + 1)) for i in range(12)]


def test_a_window_starting_mid_bar_begins_at_the_next_boundary(provider):
    bars = fetch(provider, T0 + minutes(1), T0 + minutes(20), timeframe="5m")

    assert bars[0].timestamp == T0 + minutes(5)


def test_a_window_shorter_than_one_bar_and_not_containing_a_start_is_empty(provider):
    assert fetch(provider, T0 + minutes(1), T0 + minutes(4), timeframe="5m") == []


def test_an_empty_or_reversed_window_returns_nothing(provider):
    assert fetch(provider, T0, T0) == []
    assert fetch(provider, T0 + minutes(10), T0) == []


def _five_minute_pairs(provider):
    one_minute = fetch(provider, T0, T0 + minutes(100))
    five_minute = fetch(provider, T0, T0 + minutes(100), timeframe="5m")
    return [(bar, one_minute[5 * i : 5 * i + 5]) for i, bar in enumerate(five_minute)]


def test_five_minute_prices_aggregate_the_one_minute_bars(provider):
    pairs = _five_minute_pairs(provider)

    assert len(pairs) == 20
    for bar, group in pairs:
        assert bar.timestamp == group[0].timestamp
        assert bar.open == group[0].open
        assert bar.close == group[-1].close
        assert bar.high == max(g.high for g in group)
        assert bar.low == min(g.low for g in group)


def test_five_minute_volume_is_the_sum_of_the_one_minute_volumes(provider):
    for bar, group in _five_minute_pairs(provider):
        assert bar.volume == sum(g.volume for g in group)


def test_a_window_entirely_before_the_origin_returns_nothing(provider):
    result = provider.fetch_bars(
        symbol="AAPL", timeframe="1m", start=ORIGIN - timedelta(days=2), end=ORIGIN
    )

    assert result.bars == []
    assert result.rejections == []


def test_a_window_straddling_the_origin_starts_at_the_origin(provider):
    bars = fetch(provider, ORIGIN - timedelta(days=1), ORIGIN + minutes(3))

    assert [bar.timestamp for bar in bars] == [ORIGIN + minutes(i) for i in range(3)]


def test_an_unknown_timeframe_is_rejected(provider):
    with pytest.raises(ValidationFailed):
        fetch(provider, T0, T0 + minutes(5), timeframe="2m")


def test_a_slide_lowers_prices_from_its_start_step_by_step_then_holds():
    clean = fetch(SyntheticProvider(seed=SEED), T0, T0 + minutes(30), timeframe="1m")
    slide = InjectedFault(symbol="AAPL", at=T0 + minutes(5), kind=SLIDE)
    slid = fetch(SyntheticProvider(seed=SEED, faults=[slide]), T0, T0 + minutes(30))

    assert slid[:5] == clean[:5]
    ratios = [slid[i].close / clean[i].close for i in range(5, 30)]
    # Lower every bar for SLIDE_BARS bars (to the cent), then the same distance below the path.
    assert all(b < a for a, b in pairwise(ratios[:SLIDE_BARS]))
    assert all(abs(r - ratios[SLIDE_BARS - 1]) < Decimal("0.001") for r in ratios[SLIDE_BARS:])
    assert all(bar_defects(bar) == [] for bar in slid)
