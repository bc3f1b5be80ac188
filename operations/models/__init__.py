"""Operations models, one module per topic (audit, runbooks, readiness, incidents, lifecycle)."""

from operations.models.audit import (
    AuditChainHead,
    AuditChainVerification,
    AuditCheckpoint,
    AuditEvent,
)
from operations.models.incidents import Incident, IncidentTimelineEntry
from operations.models.lifecycle import TradingLifecycleEvent
from operations.models.readiness import ReadinessItem
from operations.models.runbooks import Runbook, RunbookVersion

__all__ = [
    "AuditChainHead",
    "AuditChainVerification",
    "AuditCheckpoint",
    "AuditEvent",
    "Incident",
    "IncidentTimelineEntry",
    "ReadinessItem",
    "Runbook",
    "RunbookVersion",
    "TradingLifecycleEvent",
]
