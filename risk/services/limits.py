"""Limit changes: tightening applies at once, loosening by four-eyes; temporary overrides."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import structlog
from django.contrib.auth.models import User
from django.db import transaction

from common import clock
from common.exceptions import ValidationFailed
from common.numeric import NumberRefused, number_parse
from risk import guard
from risk.choices import (
    ChangeRequestKind,
    Scope,
)
from risk.models import (
    LIMIT_FIELDS,
    RiskLimit,
    TemporaryLimitOverride,
    limit_spec,
)
from risk.selectors import (
    risk_limit_get,
    risk_state_get,
)
from risk.services.common import (
    PERM_REQUEST,
    ChangeOutcome,
    change_request_create,
    json_value,
    permission_require,
    reason_require,
    risk_action_record,
    scope_validate,
)

logger = structlog.get_logger(__name__)
# Limits where a larger value is the stricter one; for every other limit, larger is looser.
HIGHER_IS_STRICTER = frozenset(
    {"min_buying_power_reserve", "expected_slippage_bps", "loss_cooldown_minutes"}
)


def limit_value_parse(field: str, raw: object) -> Decimal | bool | None:
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
    # Exactly what the column holds, or a refusal: a rounded value could break its CHECK.
    try:
        return number_parse(raw, limit_spec(field))
    except NumberRefused as refused:
        raise ValidationFailed(str(refused)) from None


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
    actor: User,
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
    permission_require(actor, PERM_REQUEST)
    reason = reason_require(reason, "change a limit")
    scope, key = scope_validate(scope, key)
    new = limit_value_parse(field, value)
    now = clock.now()
    if expires_at is not None and expires_at <= now:
        raise ValidationFailed("expires_at must be in the future")
    with transaction.atomic():
        old = _effective(scope, key, with_overrides=expires_at is not None, now=now).get(field)
        payload = {
            "scope": scope,
            "key": key,
            "field": field,
            "value": json_value(new),
            "expires_at": expires_at.isoformat() if expires_at else None,
        }
        before = {"field": field, "value": json_value(old)}
        if is_loosening(field, old, new):
            request = change_request_create(
                kind=ChangeRequestKind.LIMIT_RAISE,
                actor=actor,
                reason=reason,
                request_id=request_id,
                payload=payload,
                before=before,
            )
            return ChangeOutcome(False, request, before, payload)
        limit_apply(
            scope=scope, key=key, field=field, value=new, expires_at=expires_at,
            actor=actor, reason=reason, request_id=request_id,
        )  # fmt: skip
    return ChangeOutcome(True, None, before, payload)


def limit_apply(
    *,
    scope: str,
    key: str,
    field: str,
    value: Decimal | bool | None,
    expires_at: datetime | None,
    actor: User | None,
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
        # Only the changed column: a neighbour stored before values were checked against
        # their column must not make every later change of the row fail.
        target.save(update_fields=[field, "updated_at"] if target.pk else None)
    risk_action_record(
        "limit_override" if expires_at else "limit_change",
        actor=actor,
        reason=reason,
        request_id=request_id,
        before={"scope": scope, "key": key, field: json_value(before)},
        after={
            "scope": scope,
            "key": key,
            field: json_value(value),
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
            risk_action_record(
                "limit_override_reverted",
                actor=None,
                reason=f"temporary override expired at {override.expires_at.isoformat()}",
                request_id="",
                before={override.field: json_value(override.value), "scope": override.scope},
                after={override.field: None, "scope": override.scope, "key": override.key},
            )
    return len(expired)
