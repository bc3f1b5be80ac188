"""What feeds the audit chain: each app's own audit record, as it is written.

Risk writes a ``RiskAction`` for every kill switch change, limit change, override, state
change and four-eyes step; the registry a ``PromotionEvent`` for every promotion, approval
and rollback; django-auditlog a ``LogEntry`` for every configuration change. A ``post_save``
receiver turns each new row into an ``AuditEvent`` in the same transaction, so the apps stay
unaware of operations (operations reads every app, never the reverse) and no action commits
without its chain entry.

Execution's reconciliation breaks are chained when found and again when an operator resolves
one; a new source adds a function here that maps its record to ``audit_event_append``
keywords and connects it in ``connect()``.
"""

from __future__ import annotations

from typing import Any

from auditlog.models import LogEntry
from django.db.models.signals import post_save

from execution.models import ReconciliationBreak
from models_registry.models import PromotionEvent
from operations.audit_trail import audit_event_append
from risk.models import RiskAction

CONFIG_ACTIONS = {
    LogEntry.Action.CREATE: "create",
    LogEntry.Action.UPDATE: "update",
    LogEntry.Action.DELETE: "delete",
    LogEntry.Action.ACCESS: "access",
}


def _risk_object(action: RiskAction) -> dict[str, str]:
    """The object a risk action changed, from what the action recorded."""
    after = action.after or {}
    if "change_request" in after:
        return {"object_type": "risk.changerequest", "object_id": str(after["change_request"])}
    if action.action.startswith("kill_switch_"):
        return {"object_type": "risk.killswitch", "object_id": "1"}
    scope, key = after.get("scope", ""), after.get("key", "")
    kind = "risk.temporarylimitoverride" if "override" in action.action else "risk.risklimit"
    if "state" in action.action or "cooldown" in action.action:
        kind = "risk.tradingstatesetting"
    return {"object_type": kind, "object_id": f"{scope}:{key}".strip(":")}


def risk_action_chained(
    sender: type, instance: RiskAction, created: bool, raw: bool = False, **_: Any
) -> None:
    if not created or raw:  # raw: fixtures and test-database restores, not actions
        return
    audit_event_append(
        action=f"risk.{instance.action}",
        actor=instance.actor,
        reason=instance.reason,
        request_id=instance.request_id or None,
        object_repr=str(instance),
        payload={"risk_action": instance.pk, "before": instance.before, "after": instance.after},
        **_risk_object(instance),
    )


def promotion_event_chained(
    sender: type, instance: PromotionEvent, created: bool, raw: bool = False, **_: Any
) -> None:
    if not created or raw:  # raw: fixtures and test-database restores, not actions
        return
    audit_event_append(
        action=f"models.{instance.action}",
        actor=instance.actor,
        reason=instance.reason,
        request_id=instance.request_id or None,
        object_type="models_registry.modelversion" if instance.model_version_id else "",
        object_id=instance.model_version_id or "",
        object_repr=str(instance.model_version or instance.registered_model),
        payload={
            "promotion_event": instance.pk,
            "registered_model": instance.registered_model_id,
            "alias": instance.alias,
            "previous_version": instance.previous_version_id,
            "gates": instance.gates,
        },
    )


def log_entry_chained(
    sender: type, instance: LogEntry, created: bool, raw: bool = False, **_: Any
) -> None:
    """A configuration change recorded by django-auditlog (secret fields already masked)."""
    if not created or raw:  # raw: fixtures and test-database restores, not actions
        return
    content_type = instance.content_type
    audit_event_append(
        action=f"config.{CONFIG_ACTIONS.get(instance.action, instance.action)}",
        actor=instance.actor,
        request_id=instance.cid or None,
        object_type=f"{content_type.app_label}.{content_type.model}",
        object_id=instance.object_pk,
        object_repr=instance.object_repr,
        payload={"log_entry": instance.pk, "changes": instance.changes or {}},
    )


def reconciliation_break_chained(
    sender: type, instance: ReconciliationBreak, created: bool, raw: bool = False, **_: Any
) -> None:
    """A break as found (actor: the reconciliation run) and its resolution (the operator's
    who, why and request ID); the resolve service saves only the resolution fields."""
    if raw or not (created or instance.resolved_at):
        return
    common = {
        "object_type": "execution.reconciliationbreak",
        "object_id": instance.pk,
        "object_repr": f"{instance.kind} {instance.symbol} {instance.client_order_id}".strip(),
        "payload": {
            "kind": instance.kind,
            "symbol": instance.symbol,
            "client_order_id": instance.client_order_id,
            "expected": str(instance.expected) if instance.expected is not None else None,
            "actual": str(instance.actual) if instance.actual is not None else None,
            "detail": instance.detail,
        },
    }
    if created:
        audit_event_append(
            action="execution.break_detected", request_id=instance.request_id or None, **common
        )
        return
    audit_event_append(
        action="execution.break_resolved",
        actor=instance.resolved_by,
        reason=instance.resolution_reason,
        request_id=instance.resolution_request_id or None,
        **common,
    )


def connect() -> None:
    post_save.connect(risk_action_chained, sender=RiskAction, dispatch_uid="audit_risk_action")
    post_save.connect(
        promotion_event_chained, sender=PromotionEvent, dispatch_uid="audit_promotion_event"
    )
    post_save.connect(log_entry_chained, sender=LogEntry, dispatch_uid="audit_log_entry")
    post_save.connect(
        reconciliation_break_chained,
        sender=ReconciliationBreak,
        dispatch_uid="audit_reconciliation_break",
    )
