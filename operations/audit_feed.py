"""Trading shutdowns and startups as audit chain events, each with its steps and outcome,
chained in its own transaction. The audit app finds ``AUDIT_SOURCES`` here
(``audit.sources.audit_sources_discover``)."""

from __future__ import annotations

from typing import Any

from operations.models import TradingLifecycleEvent


def trading_lifecycle_entry(event: TradingLifecycleEvent, created: bool) -> dict[str, Any] | None:
    if not created:
        return None
    return {
        "action": f"operations.trading_{event.kind}",
        "actor": event.actor,
        "reason": event.reason,
        "request_id": event.request_id or None,
        "object_type": "operations.tradinglifecycleevent",
        "object_id": event.pk,
        "object_repr": str(event),
        "payload": {"mode": event.mode, "outcome": event.outcome, "steps": event.steps},
    }


AUDIT_SOURCES = {TradingLifecycleEvent: trading_lifecycle_entry}
