"""Game days: a failure injected into a running stack, and how the stack and alerts coped."""

from __future__ import annotations

from django.db import models

from common.models import BaseModel


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
        ordering = ["-started_at"]

    def __str__(self) -> str:
        verdict = {True: "passed", False: "failed", None: "running"}[self.passed]
        return f"{self.scenario} {self.started_at:%Y-%m-%d %H:%M}: {verdict}"
