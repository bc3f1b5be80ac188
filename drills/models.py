"""The drills' records: soak runs (the whole stack on a (compressed) exchange clock, and what
each day showed) and game days (a failure injected into a running stack, and how the stack and
alerts coped).

The tables keep the ``operations_*`` names the operations app created them with
(``db_table``), so an existing database keeps every row without a data migration.
"""

from __future__ import annotations

from django.db import models

from common.models import BaseModel
from drills.choices import SoakStatus


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
        db_table = "operations_soakrun"
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
        db_table = "operations_soakdailyreport"
        ordering = ["soak_run", "session"]
        constraints = [
            models.UniqueConstraint(
                fields=["soak_run", "session"], name="operations_soak_daily_report_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.soak_run_id} {self.session}"


class GameDay(BaseModel):
    """One scenario run by ``manage.py game_day``, scored against its expectations.

    ``timeline`` is the list of observed events, in order: ``{"t_s": seconds since the
    injection, "kind": "inject|detect|alert|state|recover|note", "detail": text}``.
    """

    scenario = models.SlugField(max_length=64, db_index=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    passed = models.BooleanField(null=True, help_text="empty while the scenario runs")
    time_to_detect_s = models.FloatField(null=True, blank=True)
    time_to_recover_s = models.FloatField(null=True, blank=True)
    orders_affected = models.PositiveIntegerField(default=0)
    data_lost = models.PositiveIntegerField(default=0, help_text="bars missing after recovery")
    expectations = models.JSONField(default=dict)
    observed = models.JSONField(default=dict)
    failures = models.JSONField(default=list, help_text="expectations that were not met")
    timeline = models.JSONField(default=list)
    environment = models.JSONField(default=dict, help_text="database, broker, cache of the run")
    incident_id = models.PositiveIntegerField(
        null=True, blank=True, help_text="incident opened because the game day failed"
    )

    class Meta:
        db_table = "operations_gameday"
        ordering = ["-started_at"]

    def __str__(self) -> str:
        verdict = {True: "passed", False: "failed", None: "running"}[self.passed]
        return f"{self.scenario} {self.started_at:%Y-%m-%d %H:%M}: {verdict}"
