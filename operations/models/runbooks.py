from __future__ import annotations

from django.db import models

from common.models import BaseModel


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
