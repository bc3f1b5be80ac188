"""Who may read the monitoring endpoints (detailed health, metrics): staff signed in to admin,
or a monitoring system presenting MONITORING_TOKEN as a bearer token."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, JsonResponse

MONITORING_REFUSAL = "Staff login or a monitoring token (Authorization: Bearer) needed."


def monitoring_allowed(request: HttpRequest) -> bool:
    """Staff signed in to admin, or the monitoring token (compared in constant time)."""
    if request.user.is_authenticated and request.user.is_staff:
        return True
    token = settings.MONITORING_TOKEN
    header = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(header.encode(), f"Bearer {token}".encode())


def monitoring_only(view: Callable[[HttpRequest], JsonResponse]) -> Callable:
    """Detailed health reveals internals: 401 without staff login or the monitoring token."""

    @wraps(view)
    def guarded(request: HttpRequest) -> JsonResponse:
        if not monitoring_allowed(request):
            return JsonResponse({"detail": MONITORING_REFUSAL}, status=401)
        return view(request)

    return guarded
