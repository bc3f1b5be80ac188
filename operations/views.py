"""Health and metrics endpoints for load balancers, orchestrators and Prometheus."""

from __future__ import annotations

import os

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, multiprocess
from prometheus_client.exposition import generate_latest

from operations.collectors import DatabaseStateCollector
from operations.health import readiness


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
    body = {"status": "fail" if failing else "ok", "components": components, "failing": failing}
    return JsonResponse(body, status=503 if failing else 200)


def _process_registry() -> CollectorRegistry:
    """This process's metrics, or every process's when prometheus_client runs multiprocess."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


_database_registry = CollectorRegistry(auto_describe=False)
_database_registry.register(DatabaseStateCollector())


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus exposition: process metrics (web, and workers in multiprocess mode) plus
    the loop's state read from the database at scrape time."""
    body = generate_latest(_process_registry()) + generate_latest(_database_registry)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
