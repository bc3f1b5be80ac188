from __future__ import annotations

from django.db import models

from common.models import BaseModel
from operations.choices import ReadinessCategory, ReadinessStatus


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
