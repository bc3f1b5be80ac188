"""Helpers every risk service shares: permission checks, reasons, the audit row, change
requests and their outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import structlog
from django.conf import settings
from django.contrib.auth.models import User

from common import clock
from common.actors import actor_name as actor_name_of
from common.actors import person_require
from common.exceptions import PermissionRefused, ValidationFailed
from risk import hooks, metrics
from risk.choices import (
    ChangeRequestStatus,
    Scope,
)
from risk.models import (
    ChangeRequest,
    RiskAction,
)

logger = structlog.get_logger(__name__)
PERM_OPERATE = "risk.operate_killswitch"
PERM_REQUEST = "risk.request_change"
PERM_APPROVE = "risk.approve_change"


def permission_require(actor: User | None, *perms: str) -> None:
    """Refuse unless the actor holds one of ``perms``; ``None`` is the system (auto-trips)."""
    if actor is None:
        return
    if not any(actor.has_perm(perm) for perm in perms):
        raise PermissionRefused(f"You need the {' or '.join(perms)} permission.")


def reason_require(reason: str | None, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(f"A reason is required to {what}")
    return reason


def risk_action_record(
    action: str,
    *,
    actor: User | None,
    reason: str,
    request_id: str,
    before: dict[str, Any],
    after: dict[str, Any],
    actor_name: str = "",
) -> RiskAction:
    """``actor_name`` names a system actor (e.g. "reconciliation") when ``actor`` is None."""
    return RiskAction.objects.create(
        action=action,
        actor=actor,
        actor_name=actor_name or actor_name_of(actor),
        reason=reason,
        request_id=request_id,
        before=before,
        after=after,
        created_at=clock.now(),
    )


def json_value(value: Decimal | bool | None) -> str | bool | None:
    return str(value) if isinstance(value, Decimal) else value


def iso_or_none(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def change_request_create(
    *,
    kind: str,
    actor: User,
    reason: str,
    request_id: str,
    payload: dict[str, Any],
    before: dict[str, Any],
) -> ChangeRequest:
    # Four eyes are two people: a job filing the request would leave one person deciding.
    person_require(actor, "A four-eyes request")
    now = clock.now()
    request = ChangeRequest.objects.create(
        kind=kind,
        payload=payload,
        before=before,
        requested_by=actor,
        requested_by_name=actor_name_of(actor),
        reason=reason,
        request_id=request_id,
        requested_at=now,
        expires_at=now + timedelta(minutes=settings.RISK_CHANGE_REQUEST_TTL_MINUTES),
    )
    risk_action_record(
        f"request_{kind}",
        actor=actor,
        reason=reason,
        request_id=request_id,
        before=before,
        after={"change_request": request.pk, **payload},
    )
    metrics.CHANGE_REQUESTS.labels(kind, ChangeRequestStatus.PENDING).inc()
    return request


@dataclass(frozen=True)
class ChangeOutcome:
    """What a limit or state change did: applied at once, or waiting for a second person."""

    applied: bool
    change_request: ChangeRequest | None
    before: dict[str, Any]
    after: dict[str, Any]


def scope_validate(scope: str, key: str) -> tuple[str, str]:
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
