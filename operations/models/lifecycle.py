from __future__ import annotations

from django.db import models

from common.models import ActionRecord
from operations.choices import LifecycleKind, LifecycleOutcome


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
