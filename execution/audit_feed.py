"""Reconciliation breaks as audit chain events: chained when found (actor: the
reconciliation run) and again when an operator resolves one (their who, why and request ID).
The audit app finds ``AUDIT_SOURCES`` here (``audit.sources.audit_sources_discover``)."""

from __future__ import annotations

from typing import Any

from execution.models import ReconciliationBreak


def reconciliation_break_entry(item: ReconciliationBreak, created: bool) -> dict[str, Any] | None:
    # The resolve service saves only the resolution fields: any later save with a resolution
    # is the resolution.
    if not (created or item.resolved_at):
        return None
    common = {
        "object_type": "execution.reconciliationbreak",
        "object_id": item.pk,
        "object_repr": f"{item.kind} {item.symbol} {item.client_order_id}".strip(),
        "payload": {
            "kind": item.kind,
            "symbol": item.symbol,
            "client_order_id": item.client_order_id,
            "expected": str(item.expected) if item.expected is not None else None,
            "actual": str(item.actual) if item.actual is not None else None,
            "detail": item.detail,
        },
    }
    if created:
        return {
            "action": "execution.break_detected",
            "request_id": item.request_id or None,
            **common,
        }
    return {
        "action": "execution.break_resolved",
        "actor": item.resolved_by,
        "reason": item.resolution_reason,
        "request_id": item.resolution_request_id or None,
        **common,
    }


AUDIT_SOURCES = {ReconciliationBreak: reconciliation_break_entry}
