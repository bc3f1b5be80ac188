"""Risk writes: decisions on order intents, the kill switch, trading states, limits, four-eyes
change requests, temporary overrides and automatic trips.

Permissions are checked here, not in the interfaces, so admin and the API refuse exactly the
same things. Every action writes a ``RiskAction`` row (actor, reason, request ID, before and
after) in the same transaction as the change. Saving any risk state row bumps the state
version (signals wired in ``RiskConfig.ready``), so every process picks the change up at its
next check, whether it came from here, admin or a shell.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import structlog
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from common import clock
from common.exceptions import NotFound, PermissionRefused, ValidationFailed
from risk import guard, hooks, metrics
from risk.choices import (
    ChangeRequestKind,
    ChangeRequestStatus,
    KillSwitchAction,
    Scope,
    TradingStateChoice,
    TripAction,
)
from risk.models import (
    LIMIT_FIELDS,
    ChangeRequest,
    EquityPeak,
    KillSwitch,
    KillSwitchEvent,
    RiskAction,
    RiskDecision,
    RiskLimit,
    RiskTrip,
    TemporaryLimitOverride,
    TradingStateSetting,
)
from risk.selectors import (
    activity_get,
    global_limits,
    guard_state_get,
    risk_limit_get,
    risk_state_get,
)

logger = structlog.get_logger(__name__)

# Limits where a larger value is the stricter one; for every other limit, larger is looser.
HIGHER_IS_STRICTER = frozenset(
    {"min_buying_power_reserve", "expected_slippage_bps", "loss_cooldown_minutes"}
)
PERM_OPERATE = "risk.operate_killswitch"
PERM_REQUEST = "risk.request_change"
PERM_APPROVE = "risk.approve_change"


# --- Shared helpers -------------------------------------------------------------------------


def _actor_name(actor: AbstractBaseUser | None) -> str:
    return actor.get_username() if actor is not None else "system"


def _require(actor: AbstractBaseUser | None, *perms: str) -> None:
    """Refuse unless the actor holds one of ``perms``; ``None`` is the system (auto-trips)."""
    if actor is None:
        return
    if not any(actor.has_perm(perm) for perm in perms):
        raise PermissionRefused(f"You need the {' or '.join(perms)} permission.")


def _reason(reason: str | None, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(f"A reason is required to {what}")
    return reason


def _audit(
    action: str,
    *,
    actor: AbstractBaseUser | None,
    reason: str,
    request_id: str,
    before: dict[str, Any],
    after: dict[str, Any],
) -> RiskAction:
    return RiskAction.objects.create(
        action=action,
        actor=actor,
        actor_name=_actor_name(actor),
        reason=reason,
        request_id=request_id,
        before=before,
        after=after,
        created_at=clock.now(),
    )


def _json(value: Decimal | bool | None) -> str | bool | None:
    return str(value) if isinstance(value, Decimal) else value


# --- Pre-trade decisions ---------------------------------------------------------------------


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


def _with_peak(portfolio: guard.PortfolioSnapshot, now: datetime) -> guard.PortfolioSnapshot:
    if portfolio.equity is None or portfolio.peak_equity is not None:
        return portfolio
    return replace(portfolio, peak_equity=equity_peak_observe(equity=portfolio.equity, now=now))


def _decide(
    intent: guard.OrderIntent,
    portfolio: guard.PortfolioSnapshot,
    market: guard.MarketSnapshot | None,
    now: datetime,
) -> guard.Decision:
    state = guard_state_get(symbol=intent.symbol, strategy=intent.strategy, now=now)
    window = state.limits.duplicate_window_s if state.limits else None
    activity = activity_get(intent=intent, now=now, duplicate_window_s=window)
    return guard.evaluate(intent, state, portfolio, market, activity)


def _reasons_json(reasons: tuple[guard.Reason, ...]) -> list[dict[str, str]]:
    return [{"code": r.code, "message": r.message} for r in reasons]


def order_intent_evaluate(
    *,
    intent: guard.OrderIntent,
    portfolio: guard.PortfolioSnapshot,
    market: guard.MarketSnapshot | None = None,
    request_id: str = "",
) -> RiskDecision:
    """Decide on an order intent and store the decision with every reason.

    Fails closed: if the state store, the limits or any other input cannot be read, or a
    check raises, the intent is rejected with that reason rather than waved through. After
    the decision, book-level trips (daily loss, drawdown) are checked on the same snapshot.
    """
    now = clock.now()
    try:
        # A savepoint: a database error while reading rolls back to here, so the rejection
        # can still be stored in the caller's transaction.
        with transaction.atomic():
            portfolio = _with_peak(portfolio, now)
            decision = _decide(intent, portfolio, market, now)
    except Exception as exc:  # fail closed on anything, not only database errors
        logger.exception("risk_state_unavailable", client_order_id=intent.client_order_id)
        decision = guard.fail_closed(f"risk state could not be read: {exc}")
    record = _decision_store(intent, decision, request_id, now)
    if not decision.reasons or decision.reasons[0].code != guard.STATE_UNAVAILABLE:
        _trips_check_safely(portfolio, now)
    return record


def _decision_store(
    intent: guard.OrderIntent, decision: guard.Decision, request_id: str, now: datetime
) -> RiskDecision:
    record = RiskDecision.objects.create(
        client_order_id=intent.client_order_id,
        strategy=intent.strategy,
        symbol=intent.symbol,
        side=intent.side,
        quantity=intent.quantity,
        reference_price=intent.reference_price,
        notional=intent.notional,
        approved=decision.approved,
        reasons=_reasons_json(decision.reasons),
        warnings=_reasons_json(decision.warnings),
        # JSON has no NaN or infinity (a zero limit): those utilisations are left out.
        utilisation={k: v for k, v in decision.utilisation.items() if math.isfinite(v)},
        request_id=request_id,
        decided_at=now,
    )
    metrics.DECISIONS.labels("approved" if decision.approved else "rejected").inc()
    for reason in decision.reasons:
        metrics.REJECTION_REASONS.labels(reason.code).inc()
    for warning in decision.warnings:
        metrics.WARNINGS.labels(warning.code).inc()
        logger.warning("risk_warning", code=warning.code, message=warning.message)
    if not decision.approved:
        logger.warning(
            "order_rejected_by_risk", client_order_id=intent.client_order_id, reasons=record.reasons
        )
    return record


# --- Kill switch -----------------------------------------------------------------------------


def _kill_switch_set(
    *, engaged: bool, actor: AbstractBaseUser | None, reason: str, request_id: str
) -> KillSwitch:
    now = clock.now()
    switch, _ = KillSwitch.objects.select_for_update().get_or_create(pk=KillSwitch.SINGLETON_ID)
    before = {"engaged": switch.engaged}
    switch.engaged = engaged
    switch.kill_switch_engaged_at = now if engaged else None
    switch.changed_by = actor
    switch.reason = reason
    switch.save()
    action = KillSwitchAction.ENGAGE if engaged else KillSwitchAction.RELEASE
    KillSwitchEvent.objects.create(
        action=action,
        actor=actor,
        actor_name=_actor_name(actor),
        reason=reason,
        request_id=request_id,
        created_at=now,
    )
    _audit(
        f"kill_switch_{action}",
        actor=actor,
        reason=reason,
        request_id=request_id,
        before=before,
        after={"engaged": engaged},
    )
    metrics.KILL_SWITCH_CHANGES.labels(action).inc()
    logger.warning(
        "kill_switch_changed", action=action, actor=_actor_name(actor), reason=reason,
        request_id=request_id,
    )  # fmt: skip
    return switch


def _cancel_open_orders(reason: str) -> int:
    """Run every registered kill switch handler; one failing does not stop the others.

    Runs after the halt committed (or inside the caller's transaction): cancelling must never
    be able to undo the halt itself.
    """
    cancelled = 0
    for name, handler in hooks.kill_switch_handlers().items():
        try:
            cancelled += handler(reason)
        except Exception:
            logger.exception("kill_switch_handler_failed", handler=name)
    metrics.ORDERS_CANCELLED.inc(cancelled)
    return cancelled


def kill_switch_engage(
    *, actor: AbstractBaseUser | None, reason: str, request_id: str = ""
) -> KillSwitch:
    """Halt every new order everywhere (global HALTED), then cancel every open order.

    One operator and a reason suffice. Cancels go through the handlers execution registered
    (``risk.hooks``), because risk imports no other app. Flattening positions is a separate,
    explicit action.
    """
    _require(actor, PERM_OPERATE)
    reason = _reason(reason, "engage or release the kill switch")
    with transaction.atomic():
        switch = _kill_switch_set(engaged=True, actor=actor, reason=reason, request_id=request_id)
    switch.orders_cancelled = _cancel_open_orders(reason)  # type: ignore[attr-defined]
    return switch


def _change_request_create(
    *,
    kind: str,
    actor: AbstractBaseUser,
    reason: str,
    request_id: str,
    payload: dict[str, Any],
    before: dict[str, Any],
) -> ChangeRequest:
    now = clock.now()
    request = ChangeRequest.objects.create(
        kind=kind,
        payload=payload,
        before=before,
        requested_by=actor,
        requested_by_name=_actor_name(actor),
        reason=reason,
        request_id=request_id,
        requested_at=now,
        expires_at=now + timedelta(minutes=settings.RISK_CHANGE_REQUEST_TTL_MINUTES),
    )
    _audit(
        f"request_{kind}",
        actor=actor,
        reason=reason,
        request_id=request_id,
        before=before,
        after={"change_request": request.pk, **payload},
    )
    metrics.CHANGE_REQUESTS.labels(kind, ChangeRequestStatus.PENDING).inc()
    return request


@transaction.atomic
def kill_switch_release_request(
    *, actor: AbstractBaseUser, reason: str, request_id: str = ""
) -> ChangeRequest:
    """Ask for the kill switch to be released; a risk officer other than the requester must
    approve it (``change_request_approve``)."""
    _require(actor, PERM_OPERATE, PERM_APPROVE)
    reason = _reason(reason, "request a kill switch release")
    if not KillSwitch.objects.filter(pk=KillSwitch.SINGLETON_ID, engaged=True).exists():
        raise ValidationFailed("The kill switch is not engaged: there is nothing to release")
    return _change_request_create(
        kind=ChangeRequestKind.KILL_SWITCH_RELEASE,
        actor=actor,
        reason=reason,
        request_id=request_id,
        payload={"engaged": False},
        before={"engaged": True},
    )


# --- Four-eyes approval ----------------------------------------------------------------------


def _approvable(request: ChangeRequest, actor: AbstractBaseUser, now: datetime) -> None:
    if request.status != ChangeRequestStatus.PENDING:
        raise ValidationFailed(f"Change request {request.pk} is already {request.status}")
    if request.expires_at <= now:
        raise ValidationFailed(
            f"Change request {request.pk} expired at {request.expires_at:%Y-%m-%d %H:%M:%S %Z}"
        )
    if request.requested_by_id == actor.pk:
        raise PermissionRefused("You cannot approve your own request (four-eyes rule)")


def _change_request_apply(
    request: ChangeRequest, actor: AbstractBaseUser, reason: str, rid: str
) -> KillSwitch | RiskLimit | TemporaryLimitOverride | TradingStateSetting:
    note = f"{request.reason} (approved: {reason})"
    if request.kind == ChangeRequestKind.KILL_SWITCH_RELEASE:
        if not KillSwitch.objects.filter(pk=KillSwitch.SINGLETON_ID, engaged=True).exists():
            raise ValidationFailed("The kill switch is no longer engaged")
        return _kill_switch_set(engaged=False, actor=actor, reason=note, request_id=rid)
    payload = request.payload
    if request.kind == ChangeRequestKind.LIMIT_RAISE:
        expires = payload.get("expires_at")
        return _limit_apply(
            scope=payload["scope"],
            key=payload["key"],
            field=payload["field"],
            value=_parse_value(payload["field"], payload["value"]),
            expires_at=datetime.fromisoformat(expires) if expires else None,
            actor=actor,
            reason=note,
            request_id=rid,
        )
    return _state_apply(
        scope=payload["scope"],
        key=payload["key"],
        state=payload["state"],
        actor=actor,
        reason=note,
        request_id=rid,
    )


@transaction.atomic
def change_request_approve(
    *, actor: AbstractBaseUser, change_request_id: int, reason: str, request_id: str = ""
) -> ChangeRequest:
    """Approve and apply a pending request: needs ``risk.approve_change`` (risk officer), a
    person other than the requester, and a request that has not expired."""
    _require(actor, PERM_APPROVE)
    reason = _reason(reason, "approve a change")
    request = ChangeRequest.objects.select_for_update().filter(pk=change_request_id).first()
    if request is None:
        raise NotFound(f"Unknown change request {change_request_id}")
    now = clock.now()
    _approvable(request, actor, now)
    _change_request_apply(request, actor, reason, request_id)
    return _change_request_close(request, ChangeRequestStatus.APPROVED, actor, reason, request_id)


@transaction.atomic
def change_request_reject(
    *, actor: AbstractBaseUser, change_request_id: int, reason: str, request_id: str = ""
) -> ChangeRequest:
    """Turn a pending request down (a risk officer, or the requester withdrawing it)."""
    reason = _reason(reason, "reject a change")
    request = ChangeRequest.objects.select_for_update().filter(pk=change_request_id).first()
    if request is None:
        raise NotFound(f"Unknown change request {change_request_id}")
    if request.requested_by_id != actor.pk:
        _require(actor, PERM_APPROVE)
    if request.status != ChangeRequestStatus.PENDING:
        raise ValidationFailed(f"Change request {request.pk} is already {request.status}")
    return _change_request_close(request, ChangeRequestStatus.REJECTED, actor, reason, request_id)


def _change_request_close(
    request: ChangeRequest, status: str, actor: AbstractBaseUser, reason: str, request_id: str
) -> ChangeRequest:
    request.status = status
    request.decided_by = actor
    request.decided_by_name = _actor_name(actor)
    request.decision_reason = reason
    request.decision_request_id = request_id
    request.decided_at = clock.now()
    request.save()
    _audit(
        f"{status}_{request.kind}",
        actor=actor,
        reason=reason,
        request_id=request_id,
        before={"change_request": request.pk, "status": ChangeRequestStatus.PENDING},
        after={"change_request": request.pk, "status": status, **request.payload},
    )
    metrics.CHANGE_REQUESTS.labels(request.kind, status).inc()
    return request


# --- Limits and temporary overrides ----------------------------------------------------------


@dataclass(frozen=True)
class ChangeOutcome:
    """What a limit or state change did: applied at once, or waiting for a second person."""

    applied: bool
    change_request: ChangeRequest | None
    before: dict[str, Any]
    after: dict[str, Any]


def _validate_scope(scope: str, key: str) -> tuple[str, str]:
    if scope not in Scope.values:
        raise ValidationFailed(f"Unknown scope {scope!r}: use one of {', '.join(Scope.values)}")
    key = (key or "").strip()
    if scope == Scope.GLOBAL:
        if key:
            raise ValidationFailed("The global scope takes no key")
        return scope, key
    validator = hooks.name_validator(scope)
    if not key or validator is None or not validator(key):
        raise ValidationFailed(f"Unknown {scope} {key!r}")
    return scope, key


def _parse_value(field: str, raw: object) -> Decimal | bool | None:
    if field == "drawdown_halts":
        if raw in (None, ""):
            return None
        if isinstance(raw, bool) or raw in ("true", "false"):
            return raw if isinstance(raw, bool) else raw == "true"
        raise ValidationFailed("drawdown_halts takes true or false")
    if field not in LIMIT_FIELDS:
        raise ValidationFailed(f"Unknown limit {field!r}")
    if raw is None or raw == "":
        return None
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise ValidationFailed(f"{field} must be a number, not {raw!r}") from None
    if not value.is_finite() or value < 0 or (value == 0 and field not in guard.ZERO_ALLOWED):
        raise ValidationFailed(f"{field} must be positive, not {value}")
    return value


def _effective(scope: str, key: str, *, with_overrides: bool, now: datetime) -> dict[str, Any]:
    state = risk_state_get()
    limits = guard.limits_resolve(
        state.limit_rows,
        state.overrides if with_overrides else (),
        strategy=key if scope == Scope.STRATEGY else "",
        symbol=key if scope == Scope.INSTRUMENT else "",
        now=now,
    )
    if limits is None:
        return {}
    return {name: getattr(limits, name) for name in (*guard.LIMIT_FIELDS, "drawdown_halts")}


def is_loosening(field: str, old: Decimal | bool | None, new: Decimal | bool | None) -> bool:
    """True when ``new`` allows more than ``old`` (None means "no limit")."""
    if field == "drawdown_halts":
        return bool(old) and not new
    if new is None:
        return old is not None
    if old is None:
        return False
    return new < old if field in HIGHER_IS_STRICTER else new > old


def limit_change_request(
    *,
    actor: AbstractBaseUser,
    scope: str,
    key: str,
    field: str,
    value: object,
    reason: str,
    request_id: str = "",
    expires_at: datetime | None = None,
) -> ChangeOutcome:
    """Change one limit at one scope, permanently or until ``expires_at`` (a temporary
    override that reverts by itself).

    Tightening applies at once; loosening (raising a cap, removing a limit) creates a change
    request that a risk officer other than the requester must approve.
    """
    _require(actor, PERM_REQUEST)
    reason = _reason(reason, "change a limit")
    scope, key = _validate_scope(scope, key)
    new = _parse_value(field, value)
    now = clock.now()
    if expires_at is not None and expires_at <= now:
        raise ValidationFailed("expires_at must be in the future")
    with transaction.atomic():
        old = _effective(scope, key, with_overrides=expires_at is not None, now=now).get(field)
        payload = {
            "scope": scope,
            "key": key,
            "field": field,
            "value": _json(new),
            "expires_at": expires_at.isoformat() if expires_at else None,
        }
        before = {"field": field, "value": _json(old)}
        if is_loosening(field, old, new):
            request = _change_request_create(
                kind=ChangeRequestKind.LIMIT_RAISE,
                actor=actor,
                reason=reason,
                request_id=request_id,
                payload=payload,
                before=before,
            )
            return ChangeOutcome(False, request, before, payload)
        _limit_apply(
            scope=scope, key=key, field=field, value=new, expires_at=expires_at,
            actor=actor, reason=reason, request_id=request_id,
        )  # fmt: skip
    return ChangeOutcome(True, None, before, payload)


def _limit_apply(
    *,
    scope: str,
    key: str,
    field: str,
    value: Decimal | bool | None,
    expires_at: datetime | None,
    actor: AbstractBaseUser | None,
    reason: str,
    request_id: str,
) -> RiskLimit | TemporaryLimitOverride:
    if expires_at is not None:
        target: RiskLimit | TemporaryLimitOverride = TemporaryLimitOverride.objects.create(
            scope=scope, key=key, field=field, value=value, expires_at=expires_at,
            created_by=actor, reason=reason, request_id=request_id,
        )  # fmt: skip
        before: Any = None
    else:
        target = risk_limit_get(scope=scope, key=key) or RiskLimit(
            strategy=key if scope == Scope.STRATEGY else "",
            symbol=key if scope == Scope.INSTRUMENT else "",
        )
        before = getattr(target, field)
        setattr(target, field, value)
        target.save()
    _audit(
        "limit_override" if expires_at else "limit_change",
        actor=actor,
        reason=reason,
        request_id=request_id,
        before={"scope": scope, "key": key, field: _json(before)},
        after={
            "scope": scope,
            "key": key,
            field: _json(value),
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    return target


def limit_overrides_expire() -> int:
    """Stamp overrides past their expiry as reverted, with an audit row each.

    The guard already ignores them from the moment they expire; this only makes the revert
    visible in admin and the audit trail (run periodically by ``risk.expire_overrides``).
    """
    now = clock.now()
    expired = list(
        TemporaryLimitOverride.objects.filter(reverted_at__isnull=True, expires_at__lte=now)
    )
    with transaction.atomic():
        for override in expired:
            override.reverted_at = now
            override.save(update_fields=["reverted_at", "updated_at"])
            _audit(
                "limit_override_reverted",
                actor=None,
                reason=f"temporary override expired at {override.expires_at.isoformat()}",
                request_id="",
                before={override.field: _json(override.value), "scope": override.scope},
                after={override.field: None, "scope": override.scope, "key": override.key},
            )
    return len(expired)


# --- Trading states --------------------------------------------------------------------------


def trading_state_set(
    *,
    actor: AbstractBaseUser,
    scope: str,
    key: str,
    state: str,
    reason: str,
    request_id: str = "",
) -> ChangeOutcome:
    """Set a scope's trading state: tightening (towards HALTED) applies at once, loosening
    needs a risk officer's approval. The kill switch is released only through its own
    request, never by setting the global state."""
    _require(actor, PERM_REQUEST)
    reason = _reason(reason, "change a trading state")
    scope, key = _validate_scope(scope, key)
    if state not in TradingStateChoice.values:
        raise ValidationFailed(f"Unknown state {state!r}: use ACTIVE, REDUCING or HALTED")
    with transaction.atomic():
        row = TradingStateSetting.objects.filter(scope=scope, key=key).first()
        old = row.state if row else TradingStateChoice.ACTIVE
        payload = {"scope": scope, "key": key, "state": state}
        before = {"scope": scope, "key": key, "state": old}
        if guard.TradingState[state] < guard.TradingState[old]:
            request = _change_request_create(
                kind=ChangeRequestKind.STATE_LOOSEN,
                actor=actor,
                reason=reason,
                request_id=request_id,
                payload=payload,
                before=before,
            )
            return ChangeOutcome(False, request, before, payload)
        _state_apply(
            scope=scope, key=key, state=state, actor=actor, reason=reason, request_id=request_id
        )
    return ChangeOutcome(True, None, before, payload)


def _state_apply(
    *,
    scope: str,
    key: str,
    state: str,
    actor: AbstractBaseUser | None,
    reason: str,
    request_id: str,
    cooldown_until: datetime | None = None,
) -> TradingStateSetting:
    row, _ = TradingStateSetting.objects.select_for_update().get_or_create(scope=scope, key=key)
    before = {"state": row.state, "cooldown_until": _iso(row.cooldown_until)}
    row.state, row.reason = state, reason
    if cooldown_until is not None:
        row.cooldown_until = cooldown_until
    row.save()
    _audit(
        "trading_state_change" if cooldown_until is None else "strategy_cooldown",
        actor=actor,
        reason=reason,
        request_id=request_id,
        before={"scope": scope, "key": key, **before},
        after={"scope": scope, "key": key, "state": state, "cooldown_until": _iso(cooldown_until)},
    )
    return row


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


# --- Automatic trips -------------------------------------------------------------------------


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
            _kill_switch_set(engaged=True, actor=None, reason=message, request_id="")
        _cancel_open_orders(message)
        return True
    target = guard.TradingState.HALTED if trip.action == "halted" else guard.TradingState.REDUCING
    if risk.kill_switch_engaged or risk.global_state.in_force(now) >= target:
        return False
    with transaction.atomic():
        _trip_record(trip, now)
        _state_apply(
            scope=Scope.GLOBAL, key="", state=target.name, actor=None, reason=message,
            request_id="",
        )  # fmt: skip
    return True


def portfolio_observe(*, portfolio: guard.PortfolioSnapshot, warn: bool = True) -> list[guard.Trip]:
    """Check the book against the daily loss and drawdown limits and trip what is breached:
    daily loss engages the kill switch; drawdown moves the desk to REDUCING (or HALTED when
    the global limits say ``drawdown_halts``). Returns the trips acted on."""
    now = clock.now()
    portfolio = _with_peak(portfolio, now)
    limits = global_limits(now=now)
    if limits is None:
        return []
    _daily_loss_watch(limits, portfolio, warn=warn)
    risk = risk_state_get()
    return [trip for trip in guard.trips_detect(limits, portfolio) if _trip_apply(trip, risk, now)]


def _daily_loss_watch(
    limits: guard.Limits, portfolio: guard.PortfolioSnapshot, *, warn: bool
) -> None:
    if limits.max_daily_loss:
        loss = max(-portfolio.daily_pnl, Decimal(0))
        metrics.DAILY_LOSS_UTILISATION.set(float(loss / limits.max_daily_loss))
    warning = guard.daily_loss_warning(limits, portfolio.daily_pnl)
    if warn and warning is not None:
        metrics.WARNINGS.labels(warning.code).inc()
        logger.warning("risk_warning", code=warning.code, message=warning.message)


def _trips_check_safely(portfolio: guard.PortfolioSnapshot, now: datetime) -> None:
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
        _state_apply(
            scope=Scope.STRATEGY,
            key=strategy,
            state=current.state.name if current else TradingStateChoice.ACTIVE,
            actor=None,
            reason=f"auto-trip: {streak} consecutive losing trades; cooldown until {until:%H:%M}",
            request_id="",
            cooldown_until=until,
        )
    return record
