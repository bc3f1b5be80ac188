"""Risk's actions as audit chain events: every new ``RiskAction`` (kill switch, limit change,
override, state change, four-eyes step) is chained in its own transaction. The audit app
finds ``AUDIT_SOURCES`` here (``audit.sources.audit_sources_discover``)."""

from __future__ import annotations

from typing import Any

from risk.models import RiskAction


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


def risk_action_entry(action: RiskAction, created: bool) -> dict[str, Any] | None:
    if not created:
        return None
    return {
        "action": f"risk.{action.action}",
        "actor": action.actor,
        "reason": action.reason,
        "request_id": action.request_id or None,
        "object_repr": str(action),
        "payload": {"risk_action": action.pk, "before": action.before, "after": action.after},
        **_risk_object(action),
    }


AUDIT_SOURCES = {RiskAction: risk_action_entry}
