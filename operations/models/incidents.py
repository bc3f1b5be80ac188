from __future__ import annotations

from django.conf import settings
from django.db import models

from common.models import BaseModel
from operations.choices import IncidentSeverity, IncidentSource, IncidentStatus, TimelineKind


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
