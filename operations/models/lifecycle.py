from __future__ import annotations

from django.conf import settings
from django.db import models

from operations.choices import LifecycleKind, LifecycleOutcome


class TradingLifecycleEvent(models.Model):
    """Immutable record of a ``trading_shutdown`` or ``trading_startup``: who, why, from which
    request, each step and its result, and how it ended."""

    kind = models.CharField(max_length=8, choices=LifecycleKind)
    mode = models.CharField(max_length=10, blank=True)  # graceful | emergency for shutdowns
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_name = models.CharField(max_length=150)
    reason = models.TextField()
    request_id = models.CharField(max_length=64, blank=True)
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
