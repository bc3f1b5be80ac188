"""Database backups and restore drills: what was backed up, where, and whether it restores.

A backup nobody restored is a hope, so each drill restores the newest backup into a scratch
database and checks it; readiness and the BackupStale alert read these rows.
"""

from __future__ import annotations

from django.db import models

from common.models import AppendOnlyModel


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
