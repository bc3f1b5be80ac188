"""Soak runs: the whole stack on a (compressed) exchange clock, and what each day showed."""

from __future__ import annotations

from django.db import models

from common.models import BaseModel


class SoakStatus(models.TextChoices):
    RUNNING = "running", "Running"
    PASSED = "passed", "Passed"
    FAILED = "failed", "Failed"
    ABORTED = "aborted", "Aborted"


class SoakRun(BaseModel):
    """One ``manage.py soak``: its profile, the final report and whether every must-be-zero
    figure was zero. Written by the soak command, read-only in admin."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=SoakStatus, default=SoakStatus.RUNNING)
    trading_days = models.PositiveIntegerField()
    instruments = models.PositiveIntegerField()
    speed = models.FloatField()
    faults = models.CharField(max_length=64, blank=True)
    first_session = models.DateField()
    profile = models.JSONField(default=dict, help_text="timeframe, broker, database, schedule")
    report = models.JSONField(default=dict)
    failures = models.JSONField(default=list, help_text="invariants that did not hold")

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"soak {self.started_at:%Y-%m-%d %H:%M} {self.trading_days}d: {self.status}"


class SoakDailyReport(BaseModel):
    """One trading session of a soak run: the loop's figures for that session."""

    soak_run = models.ForeignKey(SoakRun, on_delete=models.CASCADE, related_name="daily_reports")
    session = models.DateField()
    cycles_expected = models.PositiveIntegerField()
    cycles_run = models.PositiveIntegerField()
    bars_expected = models.PositiveIntegerField()
    bars_stored = models.PositiveIntegerField()
    signals = models.PositiveIntegerField()
    orders = models.PositiveIntegerField()
    fills = models.PositiveIntegerField()
    realized_pnl = models.DecimalField(max_digits=20, decimal_places=6, default=0)
    figures = models.JSONField(default=dict)

    class Meta:
        ordering = ["soak_run", "session"]
        constraints = [
            models.UniqueConstraint(
                fields=["soak_run", "session"], name="operations_soak_daily_report_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.soak_run_id} {self.session}"
