"""Risk reads: the kill switch, limits, the state the guard runs on, recent activity."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Q, QuerySet

from common import clock
from risk import guard, state_store
from risk.choices import Scope
from risk.models import (
    LIMIT_FIELDS,
    KillSwitch,
    RestrictedInstrument,
    RiskDecision,
    RiskLimit,
    TemporaryLimitOverride,
    TradingStateSetting,
)


def kill_switch_get() -> KillSwitch:
    """The kill switch row; a missing row reads as engaged (fail closed)."""
    switch = KillSwitch.objects.filter(pk=KillSwitch.SINGLETON_ID).first()
    if switch is None:
        return KillSwitch(engaged=True, reason="kill switch row missing: failing closed")
    return switch


def _limit_row(row: RiskLimit) -> guard.LimitRow:
    return guard.LimitRow(
        scope=row.scope,
        key=row.key,
        values={name: getattr(row, name) for name in LIMIT_FIELDS},
        drawdown_halts=row.drawdown_halts,
    )


def _scoped(row: TradingStateSetting) -> guard.ScopedState:
    return guard.ScopedState(
        state=guard.TradingState[row.state], reason=row.reason, cooldown_until=row.cooldown_until
    )


def risk_state_load(version: str = "") -> guard.RiskState:
    """Everything the guard needs, from the database (five small queries)."""
    switch = kill_switch_get()
    states = list(TradingStateSetting.objects.all())
    global_row = next((s for s in states if s.scope == Scope.GLOBAL), None)
    return guard.RiskState(
        version=version,
        kill_switch_engaged=switch.engaged,
        global_state=_scoped(global_row)
        if global_row
        else guard.ScopedState(guard.TradingState.ACTIVE),
        strategy_states={s.key: _scoped(s) for s in states if s.scope == Scope.STRATEGY},
        instrument_states={s.key: _scoped(s) for s in states if s.scope == Scope.INSTRUMENT},
        limit_rows=tuple(_limit_row(row) for row in RiskLimit.objects.all()),
        overrides=tuple(
            guard.TemporaryOverride(o.scope, o.key, o.field, o.value, o.expires_at)
            for o in TemporaryLimitOverride.objects.filter(reverted_at__isnull=True)
        ),
        restricted_symbols=frozenset(RestrictedInstrument.objects.values_list("symbol", flat=True)),
    )


def risk_state_get() -> guard.RiskState:
    """The cached state of the current version (raises if the store is unreachable)."""
    return state_store.state_get(risk_state_load)


def guard_state_get(
    *, symbol: str, strategy: str = "", now: datetime | None = None
) -> guard.GuardState:
    return guard.guard_state_resolve(
        risk_state_get(), strategy=strategy, symbol=symbol, now=now or clock.now()
    )


def strategy_cooldown_until(*, strategy: str, now: datetime) -> datetime | None:
    """When ``strategy``'s losing-streak cooldown ends, or None when it is not cooling down.

    The trading cycle reads it to leave a cooling strategy alone instead of sending the guard
    an order it can only refuse; the guard still halts the strategy for every other caller.
    """
    state = risk_state_get().strategy_states.get(strategy)
    if state is None or not state.cooling_down(now):
        return None
    return state.cooldown_until


def limits_for(
    *, symbol: str, strategy: str = "", now: datetime | None = None
) -> guard.Limits | None:
    return guard_state_get(symbol=symbol, strategy=strategy, now=now).limits


def global_limits(*, now: datetime) -> guard.Limits | None:
    """Book-level limits: the global row with its temporary overrides."""
    state = risk_state_get()
    return guard.limits_resolve(state.limit_rows, state.overrides, strategy="", symbol="", now=now)


def activity_get(
    *, intent: guard.OrderIntent, now: datetime, duplicate_window_s: Decimal | None
) -> guard.ActivitySnapshot:
    """Approved orders in the last second and minute (strategy and global) and whether the
    same order was approved within the duplicate window: one aggregate query over the
    decision records, which are the orders' own audit trail."""
    second, minute = now - timedelta(seconds=1), now - timedelta(minutes=1)
    window = now - timedelta(seconds=float(duplicate_window_s or 0))
    mine = Q(strategy=intent.strategy)
    same = mine & Q(
        symbol=intent.symbol, side=intent.side, quantity=intent.quantity, decided_at__gte=window
    )
    counts = RiskDecision.objects.filter(
        approved=True, decided_at__gte=min(minute, window), decided_at__lte=now
    ).aggregate(
        global_second=Count("id", filter=Q(decided_at__gte=second)),
        global_minute=Count("id", filter=Q(decided_at__gte=minute)),
        strategy_second=Count("id", filter=mine & Q(decided_at__gte=second)),
        strategy_minute=Count("id", filter=mine & Q(decided_at__gte=minute)),
        duplicates=Count("id", filter=same),
    )
    return guard.ActivitySnapshot(
        strategy_orders_last_second=counts["strategy_second"],
        strategy_orders_last_minute=counts["strategy_minute"],
        global_orders_last_second=counts["global_second"],
        global_orders_last_minute=counts["global_minute"],
        duplicate_within_window=duplicate_window_s is not None and counts["duplicates"] > 0,
    )


def risk_decision_list(*, approved: bool | None = None) -> QuerySet[RiskDecision]:
    decisions = RiskDecision.objects.all()
    return decisions if approved is None else decisions.filter(approved=approved)


def risk_limit_get(*, scope: str, key: str) -> RiskLimit | None:
    lookup = {
        Scope.GLOBAL: {"strategy": "", "symbol": ""},
        Scope.STRATEGY: {"strategy": key, "symbol": ""},
        Scope.INSTRUMENT: {"strategy": "", "symbol": key},
    }[Scope(scope)]
    return RiskLimit.objects.filter(**lookup).first()
