"""Operations models, one module per topic (backups, runbooks, readiness, incidents,
lifecycle, game days, soak runs)."""

from operations.models.backups import DatabaseBackup, RestoreDrill
from operations.models.gamedays import GameDay
from operations.models.incidents import Incident, IncidentTimelineEntry
from operations.models.lifecycle import TradingLifecycleEvent
from operations.models.readiness import ReadinessItem
from operations.models.runbooks import Runbook, RunbookVersion
from operations.models.soak import SoakDailyReport, SoakRun

__all__ = [
    "DatabaseBackup",
    "GameDay",
    "Incident",
    "IncidentTimelineEntry",
    "ReadinessItem",
    "RestoreDrill",
    "Runbook",
    "RunbookVersion",
    "SoakDailyReport",
    "SoakRun",
    "TradingLifecycleEvent",
]
