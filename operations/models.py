"""Operations records: backups and restore drills, runbooks, the readiness checklist, incidents,
and trading shutdown/startup."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from common.models import ActionRecord, AppendOnlyModel, BaseModel
from operations.choices import (
    IncidentSeverity,
    IncidentSource,
    IncidentStatus,
    LifecycleKind,
    LifecycleOutcome,
    ReadinessCategory,
    ReadinessStatus,
    TimelineKind,
)

# Database backups and restore drills: what was backed up, where, and whether it restores.
#
# A backup nobody restored is a hope, so each drill restores the newest backup into a scratch
# database and checks it; readiness and the BackupStale alert read these rows.


class DatabaseBackup(AppendOnlyModel):
    """One run of ``dbbackup`` (scheduled or by hand), successful or not.

    Times are wall-clock: a backup is a real process, whatever clock the market runs on.
    """

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(db_index=True)
    succeeded = models.BooleanField()
    vendor = models.CharField(max_length=20)
    filename = models.CharField(max_length=255, blank=True)
    storage = models.CharField(max_length=255, blank=True)
    size_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    actor_name = models.CharField(max_length=150)
    reason = models.TextField(blank=True)
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-finished_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(succeeded=False) | ~models.Q(filename=""),
                name="database_backup_success_has_file",
            )
        ]

    def __str__(self) -> str:
        verdict = self.filename if self.succeeded else "failed"
        return f"Backup {self.finished_at:%Y-%m-%d %H:%M:%S}: {verdict}"


class RestoreDrill(AppendOnlyModel):
    """One restore of a backup into a scratch database and the checks run on the copy:
    every table readable (row counts), the audit hash chain, the ledger invariants."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(db_index=True)
    passed = models.BooleanField()
    backup = models.ForeignKey(
        DatabaseBackup, null=True, blank=True, on_delete=models.PROTECT, related_name="drills"
    )
    filename = models.CharField(max_length=255, blank=True)
    scratch_database = models.CharField(max_length=255, blank=True)
    row_counts = models.JSONField(default=dict)  # table -> rows in the restored copy
    audit_events_checked = models.PositiveBigIntegerField(null=True, blank=True)
    ledger_breaks = models.PositiveIntegerField(null=True, blank=True)
    problems = models.JSONField(default=list)
    actor_name = models.CharField(max_length=150)
    reason = models.TextField(blank=True)
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-finished_at", "-id"]

    def __str__(self) -> str:
        verdict = "passed" if self.passed else "failed"
        return f"Restore drill {self.finished_at:%Y-%m-%d %H:%M:%S}: {verdict}"


class Runbook(BaseModel):
    """An operator's runbook, loaded from ``docs/runbooks/<slug>.md`` by ``load_runbooks``.

    The repository is the source of truth; admin shows the rendered current version and every
    earlier one. Alerts link ``docs/runbooks/<slug>.md``, served at ``/runbooks/<slug>/``.
    """

    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=200)
    source_path = models.CharField(max_length=300)
    alerts = models.JSONField(default=list, blank=True)  # alert names linking here
    current_version = models.ForeignKey(
        "RunbookVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.title


class RunbookVersion(models.Model):
    """Immutable content of one version of a runbook, with its sha256."""

    runbook = models.ForeignKey(Runbook, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    content = models.TextField()
    content_sha256 = models.CharField(max_length=64)
    loaded_at = models.DateTimeField()
    loaded_by = models.CharField(max_length=150)

    class Meta:
        ordering = ["runbook", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["runbook", "number"], name="runbook_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.runbook.slug} v{self.number}"


class ReadinessItem(BaseModel):
    """One production-readiness item: who owns it, its status and the evidence for it.

    Items with a ``check_key`` get their status from an automatic check of the live system
    (``operations.readiness``); the others are set in admin with evidence. Definitions come
    from code (``readiness_items_load``); owner, required, status and evidence stay as
    operators set them.
    """

    key = models.SlugField(max_length=80, unique=True)
    category = models.CharField(max_length=20, choices=ReadinessCategory)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner = models.CharField(max_length=100)
    required = models.BooleanField(default=True)
    status = models.CharField(
        max_length=8, choices=ReadinessStatus, default=ReadinessStatus.UNKNOWN
    )
    evidence = models.TextField(blank=True)
    check_key = models.CharField(max_length=80, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["category", "key"]

    def __str__(self) -> str:
        return self.title


class Incident(BaseModel):
    """Something went wrong in production (or was made to go wrong in a game day).

    ``alerts`` holds the linked alerts as ``{"name": ..., "fingerprint": ...}`` objects;
    actions taken and the status history live in the timeline.
    """

    title = models.CharField(max_length=200)
    severity = models.CharField(max_length=4, choices=IncidentSeverity)
    status = models.CharField(max_length=10, choices=IncidentStatus, default=IncidentStatus.OPEN)
    source = models.CharField(max_length=10, choices=IncidentSource, default=IncidentSource.MANUAL)
    summary = models.TextField(blank=True)
    alerts = models.JSONField(default=list, blank=True)
    postmortem = models.TextField(blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    opened_by_name = models.CharField(max_length=150)
    opened_at = models.DateTimeField(db_index=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return f"[{self.get_severity_display().split(':')[0]}] {self.title}"


class IncidentTimelineEntry(models.Model):
    """One immutable line of an incident's timeline: a note, alert, action or status change."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField()
    kind = models.CharField(max_length=8, choices=TimelineKind, default=TimelineKind.NOTE)
    text = models.TextField()
    actor_name = models.CharField(max_length=150)
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(text=""), name="timeline_entry_has_text")
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.kind}: {self.text[:60]}"


class TradingLifecycleEvent(ActionRecord):
    """Immutable record of a ``trading_shutdown`` or ``trading_startup``: who, why, from which
    request, each step and its result, and how it ended."""

    kind = models.CharField(max_length=8, choices=LifecycleKind)
    mode = models.CharField(max_length=10, blank=True)  # graceful | emergency for shutdowns
    steps = models.JSONField(default=list)  # [{"step": ..., "ok": bool, "detail": ...}]
    outcome = models.CharField(max_length=16, choices=LifecycleOutcome)
    started_at = models.DateTimeField(db_index=True)
    finished_at = models.DateTimeField()

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(reason=""), name="lifecycle_has_reason")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.mode} {self.outcome} at {self.started_at:%Y-%m-%d %H:%M}"
