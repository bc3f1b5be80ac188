"""Choices of the operations models (runbooks, readiness, incidents, shutdown and startup)."""

from django.db import models


class ReadinessCategory(models.TextChoices):
    ENVIRONMENTS = "environments", "Environments"
    MONITORING = "monitoring", "Monitoring"
    RISK_CONTROLS = "risk_controls", "Risk controls"
    MODEL_LIFECYCLE = "model_lifecycle", "Model lifecycle"
    OPERATIONS = "operations", "Operations"
    COMPLIANCE = "compliance", "Compliance"


class ReadinessStatus(models.TextChoices):
    """``unknown`` is never good enough for a required item: readiness fails closed."""

    PASS = "pass", "Pass"
    FAIL = "fail", "Fail"
    UNKNOWN = "unknown", "Unknown"


class IncidentSeverity(models.TextChoices):
    SEV1 = "sev1", "SEV1: trading stopped or money at risk"
    SEV2 = "sev2", "SEV2: degraded, trading continues"
    SEV3 = "sev3", "SEV3: minor, no trading impact"


class IncidentStatus(models.TextChoices):
    OPEN = "open", "Open"
    MITIGATED = "mitigated", "Mitigated"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed (postmortem done)"


class IncidentSource(models.TextChoices):
    MANUAL = "manual", "Opened by an operator"
    GAME_DAY = "game_day", "Game day"
    ALERT = "alert", "Alert"


class TimelineKind(models.TextChoices):
    NOTE = "note", "Note"
    STATUS = "status", "Status change"
    ALERT = "alert", "Alert"
    ACTION = "action", "Action taken"


class LifecycleKind(models.TextChoices):
    SHUTDOWN = "shutdown", "Shutdown"
    STARTUP = "startup", "Startup"


class ShutdownMode(models.TextChoices):
    GRACEFUL = "graceful", "Graceful"
    EMERGENCY = "emergency", "Emergency"


class LifecycleOutcome(models.TextChoices):
    DONE = "done", "Done"
    REFUSED = "refused", "Refused (checks failed)"
    PENDING_APPROVAL = "pending_approval", "Waiting for a second person (four-eyes)"
    FAILED = "failed", "Failed"
