"""Four-eyes: approve (a risk officer other than the requester, before expiry) or reject."""

from __future__ import annotations

from datetime import datetime

import structlog
from django.contrib.auth.models import User
from django.db import transaction

from common import clock
from common.actors import actor_name, person_require
from common.exceptions import NotFound, PermissionRefused, ValidationFailed
from risk import metrics
from risk.choices import (
    ChangeRequestKind,
    ChangeRequestStatus,
)
from risk.models import (
    ChangeRequest,
    KillSwitch,
    RiskLimit,
    TemporaryLimitOverride,
    TradingStateSetting,
)
from risk.services.common import (
    PERM_APPROVE,
    permission_require,
    reason_require,
    risk_action_record,
)
from risk.services.kill_switch import kill_switch_set
from risk.services.limits import limit_apply, limit_value_parse
from risk.services.states import trading_state_apply

logger = structlog.get_logger(__name__)


def _approvable(request: ChangeRequest, actor: User, now: datetime) -> None:
    if request.status != ChangeRequestStatus.PENDING:
        raise ValidationFailed(f"Change request {request.pk} is already {request.status}")
    if request.expires_at <= now:
        raise ValidationFailed(
            f"Change request {request.pk} expired at {request.expires_at:%Y-%m-%d %H:%M:%S %Z}"
        )
    if request.requested_by_id == actor.pk:
        raise PermissionRefused("You cannot approve your own request (four-eyes rule)")


def _change_request_apply(
    request: ChangeRequest, actor: User, reason: str, rid: str
) -> KillSwitch | RiskLimit | TemporaryLimitOverride | TradingStateSetting:
    note = f"{request.reason} (approved: {reason})"
    if request.kind == ChangeRequestKind.KILL_SWITCH_RELEASE:
        if not KillSwitch.objects.filter(pk=KillSwitch.SINGLETON_ID, engaged=True).exists():
            raise ValidationFailed("The kill switch is no longer engaged")
        return kill_switch_set(engaged=False, actor=actor, reason=note, request_id=rid)
    payload = request.payload
    if request.kind == ChangeRequestKind.LIMIT_RAISE:
        expires = payload.get("expires_at")
        try:
            value = limit_value_parse(payload["field"], payload["value"])
        except ValidationFailed as refused:
            # A request filed before values were checked against the column: refuse clearly
            # rather than store a rounded value or fail on the database.
            raise ValidationFailed(
                f"Change request {request.pk} cannot be applied: {refused}. "
                "Reject it and file a new one."
            ) from None
        return limit_apply(
            scope=payload["scope"],
            key=payload["key"],
            field=payload["field"],
            value=value,
            expires_at=datetime.fromisoformat(expires) if expires else None,
            actor=actor,
            reason=note,
            request_id=rid,
        )
    return trading_state_apply(
        scope=payload["scope"],
        key=payload["key"],
        state=payload["state"],
        actor=actor,
        reason=note,
        request_id=rid,
    )


@transaction.atomic
def change_request_approve(
    *, actor: User, change_request_id: int, reason: str, request_id: str = ""
) -> ChangeRequest:
    """Approve and apply a pending request: needs ``risk.approve_change`` (risk officer), a
    person other than the requester, and a request that has not expired."""
    permission_require(actor, PERM_APPROVE)
    person_require(actor, "Approving a change request")
    reason = reason_require(reason, "approve a change")
    request = ChangeRequest.objects.select_for_update().filter(pk=change_request_id).first()
    if request is None:
        raise NotFound(f"Unknown change request {change_request_id}")
    now = clock.now()
    _approvable(request, actor, now)
    _change_request_apply(request, actor, reason, request_id)
    return _change_request_close(request, ChangeRequestStatus.APPROVED, actor, reason, request_id)


@transaction.atomic
def change_request_reject(
    *, actor: User, change_request_id: int, reason: str, request_id: str = ""
) -> ChangeRequest:
    """Turn a pending request down (a risk officer, or the requester withdrawing it)."""
    reason = reason_require(reason, "reject a change")
    request = ChangeRequest.objects.select_for_update().filter(pk=change_request_id).first()
    if request is None:
        raise NotFound(f"Unknown change request {change_request_id}")
    if request.requested_by_id != actor.pk:
        permission_require(actor, PERM_APPROVE)
    if request.status != ChangeRequestStatus.PENDING:
        raise ValidationFailed(f"Change request {request.pk} is already {request.status}")
    return _change_request_close(request, ChangeRequestStatus.REJECTED, actor, reason, request_id)


def _change_request_close(
    request: ChangeRequest, status: str, actor: User, reason: str, request_id: str
) -> ChangeRequest:
    request.status = status
    request.decided_by = actor
    request.decided_by_name = actor_name(actor)
    request.decision_reason = reason
    request.decision_request_id = request_id
    request.decided_at = clock.now()
    request.save()
    risk_action_record(
        f"{status}_{request.kind}",
        actor=actor,
        reason=reason,
        request_id=request_id,
        before={"change_request": request.pk, "status": ChangeRequestStatus.PENDING},
        after={"change_request": request.pk, "status": status, **request.payload},
    )
    metrics.CHANGE_REQUESTS.labels(request.kind, status).inc()
    return request
