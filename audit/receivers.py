"""Security events that libraries signal, chained into the audit trail."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.conf import settings
from django.dispatch import receiver
from django.http import HttpRequest

from audit.services import audit_event_append


@receiver(user_locked_out)
def _login_locked_out_append(
    sender: Any, request: HttpRequest | None = None, username: str = "", **kwargs: Any
) -> None:
    """A django-axes lockout becomes an ``auth.locked_out`` event, so compliance sees it
    beside every other security event (the access app logs it too)."""
    audit_event_append(
        action="auth.locked_out",
        object_type="auth.user",
        object_repr=username[:200],
        payload={
            "ip_address": kwargs.get("ip_address", ""),
            "failure_limit": settings.AXES_FAILURE_LIMIT,
        },
    )
