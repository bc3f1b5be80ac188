"""The registry's promotions, approvals and rollbacks as audit chain events: every new
``PromotionEvent`` is chained in its own transaction. The audit app finds ``AUDIT_SOURCES``
here (``audit.sources.audit_sources_discover``)."""

from __future__ import annotations

from typing import Any

from models_registry.models import PromotionEvent


def promotion_event_entry(event: PromotionEvent, created: bool) -> dict[str, Any] | None:
    if not created:
        return None
    return {
        "action": f"models.{event.action}",
        "actor": event.actor,
        "reason": event.reason,
        "request_id": event.request_id or None,
        "object_type": "models_registry.modelversion" if event.model_version_id else "",
        "object_id": event.model_version_id or "",
        "object_repr": str(event.model_version or event.registered_model),
        "payload": {
            "promotion_event": event.pk,
            "registered_model": event.registered_model_id,
            "alias": event.alias,
            "previous_version": event.previous_version_id,
            "gates": event.gates,
        },
    }


AUDIT_SOURCES = {PromotionEvent: promotion_event_entry}
