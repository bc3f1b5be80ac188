"""Operations models, one module per topic (runbooks, readiness, incidents, lifecycle)."""

from operations.models.incidents import Incident, IncidentTimelineEntry
from operations.models.lifecycle import TradingLifecycleEvent
from operations.models.readiness import ReadinessItem
from operations.models.runbooks import Runbook, RunbookVersion

__all__ = [
    "Incident",
    "IncidentTimelineEntry",
    "ReadinessItem",
    "Runbook",
    "RunbookVersion",
    "TradingLifecycleEvent",
]
