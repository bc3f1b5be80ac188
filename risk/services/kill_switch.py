"""The kill switch: engage (one operator, then cancel open orders), request a release."""

from __future__ import annotations

import structlog
from django.contrib.auth.models import User
from django.db import transaction

from common import clock
from common.actors import actor_name
from common.exceptions import ValidationFailed
from risk import hooks, metrics
from risk.choices import (
    ChangeRequestKind,
    KillSwitchAction,
)
from risk.models import (
    ChangeRequest,
    KillSwitch,
    KillSwitchEvent,
)
from risk.services.common import (
    PERM_APPROVE,
    PERM_OPERATE,
    change_request_create,
    permission_require,
    reason_require,
    risk_action_record,
)

logger = structlog.get_logger(__name__)


def kill_switch_set(
    *, engaged: bool, actor: User | None, reason: str, request_id: str
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
        actor_name=actor_name(actor),
        reason=reason,
        request_id=request_id,
        created_at=now,
    )
    risk_action_record(
        f"kill_switch_{action}",
        actor=actor,
        reason=reason,
        request_id=request_id,
        before=before,
        after={"engaged": engaged},
    )
    metrics.KILL_SWITCH_CHANGES.labels(action).inc()
    logger.warning(
        "kill_switch_changed", action=action, actor=actor_name(actor), reason=reason,
        request_id=request_id,
    )  # fmt: skip
    return switch


def open_orders_cancel(reason: str) -> int:
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


def kill_switch_engage(*, actor: User | None, reason: str, request_id: str = "") -> KillSwitch:
    """Halt every new order everywhere (global HALTED), then cancel every open order.

    One operator and a reason suffice. Cancels go through the handlers execution registered
    (``risk.hooks``), because risk imports no other app. Flattening positions is a separate,
    explicit action.
    """
    permission_require(actor, PERM_OPERATE)
    reason = reason_require(reason, "engage or release the kill switch")
    with transaction.atomic():
        switch = kill_switch_set(engaged=True, actor=actor, reason=reason, request_id=request_id)
    switch.orders_cancelled = open_orders_cancel(reason)  # type: ignore[attr-defined]
    return switch


@transaction.atomic
def kill_switch_release_request(*, actor: User, reason: str, request_id: str = "") -> ChangeRequest:
    """Ask for the kill switch to be released; a risk officer other than the requester must
    approve it (``change_request_approve``)."""
    permission_require(actor, PERM_OPERATE, PERM_APPROVE)
    reason = reason_require(reason, "request a kill switch release")
    if not KillSwitch.objects.filter(pk=KillSwitch.SINGLETON_ID, engaged=True).exists():
        raise ValidationFailed("The kill switch is not engaged: there is nothing to release")
    return change_request_create(
        kind=ChangeRequestKind.KILL_SWITCH_RELEASE,
        actor=actor,
        reason=reason,
        request_id=request_id,
        payload={"engaged": False},
        before={"engaged": True},
    )
