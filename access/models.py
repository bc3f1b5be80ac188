"""Access control: per-user API tokens, stored only as a hash of their secret.

The table keeps the name it was created with in the operations app (``Meta.db_table``), so
an existing database keeps every token without a data migration.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models


class ApiTokenScope(models.TextChoices):
    READ = "read", "read-only (safe methods)"
    READ_WRITE = "read_write", "read-write"


class ApiToken(models.Model):
    """A bearer token acting as its user. The secret is shown once when issued; only its
    sha256 is kept, so a database leak reveals no usable token."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. 'ci-bot'.")
    # The first characters of the secret: enough to recognise a token in a list, too few to use.
    prefix = models.CharField(max_length=12, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    scope = models.CharField(
        max_length=16, choices=ApiTokenScope.choices, default=ApiTokenScope.READ
    )
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revoke_reason = models.CharField(max_length=200, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "operations_apitoken"
        ordering = ["-created_at"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…, {self.user})"

    def is_active(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at
