"""Login lockout hook: django-axes signals a lockout; we log it and chain it as an audit event."""

from __future__ import annotations

from typing import Any

import structlog
from axes.signals import user_locked_out
from django.conf import settings
from django.dispatch import receiver
from django.http import HttpRequest

from audit.services import audit_event_append

logger = structlog.get_logger(__name__)


@receiver(user_locked_out)
def _login_locked_out(
    sender: Any, request: HttpRequest | None = None, username: str = "", **kwargs: Any
) -> None:
    """Each lockout is logged as a structured event (with the request ID bound by
    django-structlog) and appended to the audit chain, so compliance sees it beside every
    other security event. Axes keeps its own AccessAttempt/AccessFailure rows in admin."""
    ip_address = kwargs.get("ip_address", "")
    logger.warning(
        "login_locked_out",
        username=username,
        ip_address=ip_address,
        failure_limit=settings.AXES_FAILURE_LIMIT,
    )
    audit_event_append(
        action="auth.locked_out",
        object_type="auth.user",
        object_repr=username[:200],
        payload={"ip_address": ip_address, "failure_limit": settings.AXES_FAILURE_LIMIT},
    )
