"""Operations models, one module per topic (backups, runbooks, readiness, incidents,
lifecycle)."""

from operations.models.backups import DatabaseBackup, RestoreDrill
from operations.models.incidents import Incident, IncidentTimelineEntry
from operations.models.lifecycle import TradingLifecycleEvent
from operations.models.readiness import ReadinessItem
from operations.models.runbooks import Runbook, RunbookVersion

__all__ = [
    "DatabaseBackup",
    "Incident",
    "IncidentTimelineEntry",
    "ReadinessItem",
    "RestoreDrill",
    "Runbook",
    "RunbookVersion",
    "TradingLifecycleEvent",
]
