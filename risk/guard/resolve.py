"""Resolving the cached risk state for one strategy and instrument: the most restrictive
trading state and the limits in force."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal

from risk.guard.model import (
    LIMIT_FIELDS,
    GuardState,
    LimitRow,
    Limits,
    RiskState,
    TemporaryOverride,
    TradingState,
)


def _scope_order(row: LimitRow | TemporaryOverride) -> int:
    return {"global": 0, "strategy": 1, "instrument": 2}[row.scope]


def _most_restrictive(values: list[Decimal]) -> Decimal | None:
    return min(values) if values else None


def limits_resolve(
    rows: Iterable[LimitRow] | Mapping[tuple[str, str], LimitRow],
    overrides: Iterable[TemporaryOverride],
    *,
    strategy: str,
    symbol: str,
    now: datetime,
) -> Limits | None:
    """The limits in force: the global row, overridden by the strategy's and the instrument's.

    A field set on both the strategy and the instrument takes the lower (stricter) value. A
    temporary override in force replaces the permanent value at its scope; an expired one is
    ignored, so overrides revert by themselves without a write.
    """
    index = rows if isinstance(rows, Mapping) else {(r.scope, r.key): r for r in rows}
    wanted = (("global", ""), ("strategy", strategy), ("instrument", symbol))
    applicable = [index[k] for k in wanted if k in index]
    if not any(r.scope == "global" for r in applicable):
        return None
    by_scope: dict[str, dict[str, Decimal | None]] = {r.scope: dict(r.values) for r in applicable}
    for o in sorted(overrides, key=_scope_order):
        if o.expires_at > now and (o.scope, o.key) in (
            ("global", ""),
            ("strategy", strategy),
            ("instrument", symbol),
        ):
            by_scope.setdefault(o.scope, {})[o.field] = o.value
    resolved: dict[str, object] = {}
    for name in LIMIT_FIELDS:
        specific = [
            v
            for scope in ("strategy", "instrument")
            if (v := by_scope.get(scope, {}).get(name)) is not None
        ]
        resolved[name] = _most_restrictive(specific) if specific else by_scope["global"].get(name)
    halts = [r.drawdown_halts for r in applicable if r.drawdown_halts is not None]
    resolved["drawdown_halts"] = any(halts)
    return Limits(**resolved)  # type: ignore[arg-type]


def guard_state_resolve(
    risk: RiskState, *, strategy: str, symbol: str, now: datetime
) -> GuardState:
    """The most restrictive of the global, strategy and instrument states, and the limits."""
    scoped = [
        (risk.global_state, "global"),
        (risk.strategy_states.get(strategy), f"strategy {strategy}"),
        (risk.instrument_states.get(symbol), f"instrument {symbol}"),
    ]
    state, reason = TradingState.ACTIVE, ""
    for s, where in scoped:
        if s is not None and s.in_force(now) > state:
            state, reason = s.in_force(now), f"{where}: {s.reason}".rstrip(": ")
    if risk.kill_switch_engaged:
        state = TradingState.HALTED
    return GuardState(
        kill_switch_engaged=risk.kill_switch_engaged,
        limits=limits_resolve(
            risk.limit_index, risk.overrides, strategy=strategy, symbol=symbol, now=now
        ),
        trading_state=state,
        state_reason=reason,
        restricted=symbol in risk.restricted_symbols,
    )
