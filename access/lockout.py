"""Login lockout hook: django-axes signals a lockout; we log it.

The audit trail chains the same signal as an ``auth.locked_out`` event (``audit.receivers``),
so compliance sees it beside every other security event; axes keeps its own AccessAttempt and
AccessFailureLog rows, shown in admin.
"""

from __future__ import annotations

from typing import Any

import structlog
from axes.signals import user_locked_out
from django.conf import settings
from django.dispatch import receiver
from django.http import HttpRequest

logger = structlog.get_logger(__name__)


@receiver(user_locked_out)
def _login_locked_out(
    sender: Any, request: HttpRequest | None = None, username: str = "", **kwargs: Any
) -> None:
    """Each lockout is logged as a structured event, with the request ID bound by
    django-structlog."""
    logger.warning(
        "login_locked_out",
        username=username,
        ip_address=kwargs.get("ip_address", ""),
        failure_limit=settings.AXES_FAILURE_LIMIT,
    )
