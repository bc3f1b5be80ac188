"""Health endpoints for load balancers and orchestrators (no auth: they reveal no data)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from operations.health import readiness, readiness_detail


@never_cache
@require_GET
def health_live(request: HttpRequest) -> JsonResponse:
    """The process is up and serving requests."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def health_ready(request: HttpRequest) -> JsonResponse:
    """Database and broker reachable; 503 naming the failing components otherwise."""
    components = readiness()
    failing = sorted(name for name, state in components.items() if state != "ok")
    body = {
        "status": "fail" if failing else "ok",
        "components": components,
        "failing": failing,
        "detail": readiness_detail(),
    }
    return JsonResponse(body, status=503 if failing else 200)
