"""Benchmark: the full pre-trade check set on cached state, 500 instruments, 10 strategies.

Measures what a worker does per order once the state of the current version is cached: resolve
the most restrictive trading state and the limits in force for (strategy, instrument), then
run every check. The database write of the decision is not included (it is I/O, measured by
the kill switch benchmark end to end). Run: ``python -m benchmarks.risk_guard``; the last
line is one JSON object. Knob: BENCH_CHECKS (BENCH_SMOKE=1: tiny).
"""

from __future__ import annotations

import json
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from benchmarks.sizes import size
from risk import guard

N_INSTRUMENTS = 500
N_STRATEGIES = 10
N_CHECKS = size("BENCH_CHECKS", 50_000, 500)
WARMUP = N_CHECKS // 25
NOW = datetime(2026, 3, 2, 19, 0, tzinfo=UTC)
D = Decimal

GLOBAL_LIMITS = {
    "max_order_notional": D(25000),
    "max_order_quantity": D(100000),
    "max_position_notional": D(50000),
    "max_gross_exposure": D(250000),
    "max_net_exposure": D(150000),
    "max_daily_loss": D(5000),
    "daily_loss_warning_pct": D(80),
    "max_drawdown": D(7500),
    "price_collar_bps": D(500),
    "expected_slippage_bps": D(5),
    "max_price_age_s": D(600),
    "max_orders_per_second": D(20),
    "max_orders_per_minute": D(600),
    "global_max_orders_per_second": D(100),
    "global_max_orders_per_minute": D(3000),
    "duplicate_window_s": D(5),
    "manual_confirm_notional": D(10000),
    "min_buying_power_reserve": D(0),
    "max_consecutive_losses": D(5),
    "loss_cooldown_minutes": D(30),
}


def build_state(rng: random.Random) -> tuple[guard.RiskState, list[str], list[str]]:
    symbols = [f"SYM{i:03d}" for i in range(N_INSTRUMENTS)]
    strategies = [f"strategy-{i}" for i in range(N_STRATEGIES)]
    rows = [guard.LimitRow("global", "", GLOBAL_LIMITS)]
    rows += [
        guard.LimitRow("strategy", s, {"max_order_notional": D(20000 + 1000 * i)})
        for i, s in enumerate(strategies)
    ]
    rows += [
        guard.LimitRow("instrument", s, {"max_position_notional": D(rng.randint(20, 80) * 1000)})
        for s in symbols
    ]
    state = guard.RiskState(
        version="bench",
        kill_switch_engaged=False,
        global_state=guard.ScopedState(guard.TradingState.ACTIVE),
        strategy_states={strategies[0]: guard.ScopedState(guard.TradingState.REDUCING, "bench")},
        instrument_states={s: guard.ScopedState(guard.TradingState.ACTIVE) for s in symbols[:50]},
        limit_rows=tuple(rows),
        overrides=(
            guard.TemporaryOverride(
                "global", "", "max_order_notional", D(30000), NOW + timedelta(hours=1)
            ),
        ),
        restricted_symbols=frozenset(symbols[-5:]),
    )
    return state, strategies, symbols


def build_orders(rng: random.Random, strategies: list[str], symbols: list[str], n: int) -> list:
    orders = []
    for i in range(n):
        price = D(rng.randint(1000, 50000)) / 100
        position = D(rng.randint(-200, 200))
        intent = guard.OrderIntent(
            client_order_id=f"bench-{i}",
            strategy=rng.choice(strategies),
            symbol=rng.choice(symbols),
            side=rng.choice(["buy", "sell"]),
            quantity=D(rng.randint(1, 200)),
            reference_price=price,
        )
        book = guard.PortfolioSnapshot(
            position_quantity=position,
            daily_pnl=D(rng.randint(-6000, 3000)),
            instrument_position_quantity=position,
            gross_exposure=D(rng.randint(0, 260000)),
            net_exposure=D(rng.randint(-150000, 150000)),
            equity=D(100000),
            peak_equity=D(rng.randint(100000, 108000)),
            buying_power=D(rng.randint(0, 100000)),
            strategy_enabled=True,
            model_is_champion=True,
        )
        market = guard.MarketSnapshot(price * D("1.001"), D(rng.randint(0, 700)))
        activity = guard.ActivitySnapshot(
            strategy_orders_last_second=rng.randint(0, 20),
            strategy_orders_last_minute=rng.randint(0, 500),
            global_orders_last_second=rng.randint(0, 90),
            global_orders_last_minute=rng.randint(0, 2500),
            duplicate_within_window=rng.random() < 0.01,
        )
        orders.append((intent, book, market, activity))
    return orders


def check(state: guard.RiskState, order: tuple) -> guard.Decision:
    intent, book, market, activity = order
    resolved = guard.guard_state_resolve(
        state, strategy=intent.strategy, symbol=intent.symbol, now=NOW
    )
    return guard.evaluate(intent, resolved, book, market, activity)


def main() -> dict:
    rng = random.Random(7)
    state, strategies, symbols = build_state(rng)
    orders = build_orders(rng, strategies, symbols, N_CHECKS + WARMUP)
    for order in orders[:WARMUP]:
        check(state, order)
    timings, approved = [], 0
    started = time.perf_counter()
    for order in orders[WARMUP:]:
        t0 = time.perf_counter_ns()
        approved += check(state, order).approved
        timings.append(time.perf_counter_ns() - t0)
    elapsed = time.perf_counter() - started
    timings.sort()
    return {
        "checks": N_CHECKS,
        "instruments": N_INSTRUMENTS,
        "strategies": N_STRATEGIES,
        "approved_share": round(approved / N_CHECKS, 3),
        "checks_per_s": round(N_CHECKS / elapsed),
        "p50_us": round(statistics.median(timings) / 1000, 1),
        "p99_us": round(timings[int(len(timings) * 0.99)] / 1000, 1),
    }


if __name__ == "__main__":
    print(json.dumps(main()))
