"""Trading states per scope: tightening applies at once, loosening by four-eyes."""

from __future__ import annotations

from datetime import datetime

import structlog
from django.contrib.auth.models import User
from django.db import transaction

from common.exceptions import ValidationFailed
from risk import guard
from risk.choices import (
    ChangeRequestKind,
    TradingStateChoice,
)
from risk.models import (
    TradingStateSetting,
)
from risk.services.common import (
    PERM_REQUEST,
    ChangeOutcome,
    change_request_create,
    iso_or_none,
    permission_require,
    reason_require,
    risk_action_record,
    scope_validate,
)

logger = structlog.get_logger(__name__)


def trading_state_set(
    *,
    actor: User,
    scope: str,
    key: str,
    state: str,
    reason: str,
    request_id: str = "",
) -> ChangeOutcome:
    """Set a scope's trading state: tightening (towards HALTED) applies at once, loosening
    needs a risk officer's approval. The kill switch is released only through its own
    request, never by setting the global state."""
    permission_require(actor, PERM_REQUEST)
    reason = reason_require(reason, "change a trading state")
    scope, key = scope_validate(scope, key)
    if state not in TradingStateChoice.values:
        raise ValidationFailed(f"Unknown state {state!r}: use ACTIVE, REDUCING or HALTED")
    with transaction.atomic():
        row = TradingStateSetting.objects.filter(scope=scope, key=key).first()
        old = row.state if row else TradingStateChoice.ACTIVE
        payload = {"scope": scope, "key": key, "state": state}
        before = {"scope": scope, "key": key, "state": old}
        if guard.TradingState[state] < guard.TradingState[old]:
            request = change_request_create(
                kind=ChangeRequestKind.STATE_LOOSEN,
                actor=actor,
                reason=reason,
                request_id=request_id,
                payload=payload,
                before=before,
            )
            return ChangeOutcome(False, request, before, payload)
        trading_state_apply(
            scope=scope, key=key, state=state, actor=actor, reason=reason, request_id=request_id
        )
    return ChangeOutcome(True, None, before, payload)


def trading_state_apply(
    *,
    scope: str,
    key: str,
    state: str,
    actor: User | None,
    reason: str,
    request_id: str,
    cooldown_until: datetime | None = None,
    actor_name: str = "",
) -> TradingStateSetting:
    row, _ = TradingStateSetting.objects.select_for_update().get_or_create(scope=scope, key=key)
    before = {"state": row.state, "cooldown_until": iso_or_none(row.cooldown_until)}
    row.state, row.reason = state, reason
    if cooldown_until is not None:
        row.cooldown_until = cooldown_until
    row.save()
    risk_action_record(
        "trading_state_change" if cooldown_until is None else "strategy_cooldown",
        actor=actor,
        reason=reason,
        request_id=request_id,
        before={"scope": scope, "key": key, **before},
        after={
            "scope": scope,
            "key": key,
            "state": state,
            "cooldown_until": iso_or_none(cooldown_until),
        },
        actor_name=actor_name,
    )
    return row


def trading_state_halt(
    *, scope: str, key: str, reason: str, actor_name: str, request_id: str
) -> bool:
    """A system component (``actor_name``, e.g. "reconciliation") halts a scope at once.

    Halting only tightens, so it needs no approval; loosening it again goes through
    ``trading_state_set`` and four-eyes as usual. Idempotent: a scope already HALTED is left
    as it is (no second audit row). Returns whether the state changed.
    """
    reason = reason_require(reason, "halt trading")
    scope, key = scope_validate(scope, key)
    with transaction.atomic():
        row = TradingStateSetting.objects.select_for_update().filter(scope=scope, key=key).first()
        if row is not None and row.state == TradingStateChoice.HALTED:
            return False
        trading_state_apply(
            scope=scope, key=key, state=TradingStateChoice.HALTED, actor=None, reason=reason,
            request_id=request_id, actor_name=actor_name,
        )  # fmt: skip
    logger.warning("trading_state_halted", scope=scope, key=key, actor=actor_name, reason=reason)
    return True
