"""Automatic trips: daily loss engages the kill switch, drawdown reduces or halts, a losing
streak cools a strategy down. Also the day's peak equity they measure drawdown from."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

import structlog
from django.conf import settings
from django.db import transaction

from common import clock
from risk import guard, metrics
from risk.choices import (
    Scope,
    TradingStateChoice,
    TripAction,
)
from risk.models import (
    EquityPeak,
    KillSwitch,
    RiskTrip,
)
from risk.selectors import (
    global_limits,
    risk_state_get,
)
from risk.services.kill_switch import kill_switch_set, open_orders_cancel
from risk.services.states import trading_state_apply

logger = structlog.get_logger(__name__)


def _trading_day(now: datetime) -> datetime:
    return clock.start_of_day(now, settings.RISK_TRADING_DAY_TIMEZONE)


def equity_peak_observe(*, equity: Decimal, now: datetime) -> Decimal:
    """Raise the trading day's peak equity to ``equity`` if higher; return the peak."""
    day = _trading_day(now).date()
    EquityPeak.objects.filter(trading_day=day, peak__lt=equity).update(peak=equity, observed_at=now)
    peak, _ = EquityPeak.objects.get_or_create(
        trading_day=day, defaults={"peak": equity, "observed_at": now}
    )
    return peak.peak


def portfolio_with_peak(
    portfolio: guard.PortfolioSnapshot, now: datetime
) -> guard.PortfolioSnapshot:
    if portfolio.equity is None or portfolio.peak_equity is not None:
        return portfolio
    return replace(portfolio, peak_equity=equity_peak_observe(equity=portfolio.equity, now=now))


def _trip_record(trip: guard.Trip, now: datetime) -> RiskTrip:
    record = RiskTrip.objects.create(
        limit=trip.limit,
        scope=trip.scope,
        key=trip.key,
        value=trip.value,
        threshold=trip.threshold,
        action=trip.action,
        tripped_at=now,
    )
    metrics.TRIPS.labels(trip.limit, trip.action).inc()
    logger.error(
        "risk_trip", limit=trip.limit, value=str(trip.value), threshold=str(trip.threshold),
        action=trip.action, scope=trip.scope, key=trip.key,
    )  # fmt: skip
    return record


def _trip_apply(trip: guard.Trip, risk: guard.RiskState, now: datetime) -> bool:
    """Act on one trip unless the desk is already at least that restricted."""
    message = f"auto-trip: {trip.limit} {trip.value:.2f} reached the limit {trip.threshold:.2f}"
    if trip.action == TripAction.KILL_SWITCH:
        if risk.kill_switch_engaged:
            return False
        with transaction.atomic():
            # Two workers may see the breach at once: the row lock lets only the first trip.
            engaged = (
                KillSwitch.objects.select_for_update()
                .filter(pk=KillSwitch.SINGLETON_ID)
                .values_list("engaged", flat=True)
                .first()
            )
            if engaged:
                return False
            _trip_record(trip, now)
            kill_switch_set(engaged=True, actor=None, reason=message, request_id="")
        open_orders_cancel(message)
        return True
    target = guard.TradingState.HALTED if trip.action == "halted" else guard.TradingState.REDUCING
    if risk.kill_switch_engaged or risk.global_state.in_force(now) >= target:
        return False
    with transaction.atomic():
        _trip_record(trip, now)
        trading_state_apply(
            scope=Scope.GLOBAL, key="", state=target.name, actor=None, reason=message,
            request_id="",
        )  # fmt: skip
    return True


def portfolio_observe(*, portfolio: guard.PortfolioSnapshot, warn: bool = True) -> list[guard.Trip]:
    """Check the book against the daily loss and drawdown limits and trip what is breached:
    daily loss engages the kill switch; drawdown moves the desk to REDUCING (or HALTED when
    the global limits say ``drawdown_halts``). Returns the trips acted on."""
    now = clock.now()
    portfolio = portfolio_with_peak(portfolio, now)
    limits = global_limits(now=now)
    if limits is None:
        return []
    _daily_loss_watch(limits, portfolio, warn=warn)
    risk = risk_state_get()
    return [trip for trip in guard.trips_detect(limits, portfolio) if _trip_apply(trip, risk, now)]


def _daily_loss_watch(
    limits: guard.Limits, portfolio: guard.PortfolioSnapshot, *, warn: bool
) -> None:
    # The utilisation itself is exported at scrape time from the database
    # (tradingops_risk_limit_utilisation_ratio), so no process keeps a stale copy.
    warning = guard.daily_loss_warning(limits, portfolio.daily_pnl)
    if warn and warning is not None:
        metrics.WARNINGS.labels(warning.code).inc()
        logger.warning("risk_warning", code=warning.code, message=warning.message)


def trips_check_safely(portfolio: guard.PortfolioSnapshot, now: datetime) -> None:
    try:
        # The decision already counted its own warning.
        portfolio_observe(portfolio=portfolio, warn=False)
    except Exception:  # the decision is already made and stored; log, alert, carry on
        logger.exception("risk_trip_check_failed")


def strategy_trades_observe(
    *, strategy: str, closed_trades: list[tuple[datetime, Decimal]]
) -> RiskTrip | None:
    """Put ``strategy`` in a cooldown after N consecutive losing closed trades.

    ``closed_trades`` are (closed at, realized PnL), oldest first. Only trades closed after
    the strategy's last cooldown count, so a finished cooldown does not retrigger on the same
    losing streak.
    """
    now = clock.now()
    risk = risk_state_get()
    limits = guard.limits_resolve(
        risk.limit_rows, risk.overrides, strategy=strategy, symbol="", now=now
    )
    if limits is None or not limits.max_consecutive_losses or not limits.loss_cooldown_minutes:
        return None
    last = RiskTrip.objects.filter(
        scope=Scope.STRATEGY, key=strategy, action=TripAction.COOLDOWN
    ).first()
    since = last.tripped_at if last else None
    streak = guard.consecutive_losses(
        pnl for closed_at, pnl in closed_trades if since is None or closed_at > since
    )
    if streak < limits.max_consecutive_losses:
        return None
    until = now + timedelta(minutes=float(limits.loss_cooldown_minutes))
    trip = guard.Trip(
        "max_consecutive_losses", Decimal(streak), limits.max_consecutive_losses,
        TripAction.COOLDOWN, Scope.STRATEGY, strategy,
    )  # fmt: skip
    with transaction.atomic():
        record = _trip_record(trip, now)
        current = risk.strategy_states.get(strategy)
        trading_state_apply(
            scope=Scope.STRATEGY,
            key=strategy,
            state=current.state.name if current else TradingStateChoice.ACTIVE,
            actor=None,
            reason=f"auto-trip: {streak} consecutive losing trades; cooldown until {until:%H:%M}",
            request_id="",
            cooldown_until=until,
        )
    return record
