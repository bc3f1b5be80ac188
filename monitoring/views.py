"""Health and metrics endpoints for load balancers, orchestrators and Prometheus, and the
on-call page for people."""

from __future__ import annotations

import os
from datetime import timedelta

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, multiprocess
from prometheus_client.exposition import generate_latest

from access.monitoring import MONITORING_REFUSAL, monitoring_allowed, monitoring_only
from common import clock
from models_registry.selectors import champion_versions
from monitoring.charts import line_chart_svg
from monitoring.collectors import DatabaseStateCollector
from monitoring.probes import readiness_probe, readiness_probe_detail
from monitoring.selectors import (
    cycle_latency_series,
    daily_loss_utilisation,
    data_health_detail,
    models_health_detail,
    periodic_task_status,
    realized_pnl_series,
    risk_health_detail,
)
from risk.selectors import risk_decision_list

ONCALL_REFRESH_SECONDS = 15


@never_cache
@require_GET
def health_live(request: HttpRequest) -> JsonResponse:
    """The process is up and serving requests."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def health_ready(request: HttpRequest) -> JsonResponse:
    """Database and broker reachable, market data fresh; 503 naming the failing components
    otherwise."""
    components = readiness_probe()
    failing = sorted(name for name, state in components.items() if state != "ok")
    body = {
        "status": "fail" if failing else "ok",
        "components": components,
        "failing": failing,
        "detail": readiness_probe_detail(),
    }
    return JsonResponse(body, status=503 if failing else 200)


@never_cache
@require_GET
@monitoring_only
def health_scheduler(request: HttpRequest) -> JsonResponse:
    """Each periodic task's schedule, last run, outcome, duration, next run and state."""
    tasks = periodic_task_status()
    down = sorted(task["name"] for task in tasks if task["state"] == "down")
    body = {"status": "fail" if down else "ok", "failing": down, "tasks": tasks}
    return JsonResponse(body, status=503 if down else 200)


@never_cache
@require_GET
@monitoring_only
def health_data(request: HttpRequest) -> JsonResponse:
    """Each provider's breaker state and each instrument's newest bar age; 503 if any stale."""
    detail = data_health_detail()
    failing = sorted(detail["stale_instruments"])
    body = {"status": "fail" if failing else "ok", "failing": failing, **detail}
    return JsonResponse(body, status=503 if failing else 200)


@never_cache
@require_GET
@monitoring_only
def health_risk(request: HttpRequest) -> JsonResponse:
    """Kill switch, trading states and limit use. A halt is a state, not a failure: 200."""
    return JsonResponse({"status": "ok", **risk_health_detail()})


@never_cache
@require_GET
@monitoring_only
def health_models(request: HttpRequest) -> JsonResponse:
    """Champion per model with drift status; 503 naming models that trade with no champion."""
    models = models_health_detail()
    failing = sorted(m["model"] for m in models if m["strategies"] and m["champion"] is None)
    body = {"status": "fail" if failing else "ok", "failing": failing, "models": models}
    return JsonResponse(body, status=503 if failing else 200)


@never_cache
@require_GET
@monitoring_only
def health(request: HttpRequest) -> JsonResponse:
    """Everything at once: 200, or 503 naming each failing component."""
    components = readiness_probe()
    for task in periodic_task_status():
        components[f"scheduler:{task['name']}"] = "ok" if task["state"] != "down" else "down"
    for symbol in data_health_detail()["stale_instruments"]:
        components[f"data:{symbol}"] = "stale"
    for model in models_health_detail():
        if model["strategies"] and model["champion"] is None:
            components[f"models:{model['model']}"] = "no champion"
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
    the loop's state read from the database at scrape time. Needs the monitoring token (or a
    staff login) unless METRICS_PUBLIC is on (dev settings)."""
    if not settings.METRICS_PUBLIC and not monitoring_allowed(request):
        return JsonResponse(
            {"detail": MONITORING_REFUSAL},
            status=401,
        )
    body = generate_latest(_process_registry()) + generate_latest(_database_registry)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)


@never_cache
@staff_member_required
def oncall_dashboard(request: HttpRequest) -> HttpResponse:
    """The on-call page: component states, schedule, trading state, limits, champions,
    recent rejections, and the day's PnL and cycle latency. Reloads itself."""
    # PnL follows market time (fills are stamped by the project clock); cycle latency is about
    # real processes, so it follows the wall clock.
    market_since = clock.now() - timedelta(days=1)
    wall_since = timezone.now() - timedelta(days=1)
    context = {
        **admin.site.each_context(request),
        "title": "On-call dashboard",
        "refresh_seconds": ONCALL_REFRESH_SECONDS,
        "components": readiness_probe(),
        "tasks": periodic_task_status(),
        "daily": daily_loss_utilisation(),
        "champions": champion_versions(),
        "rejections": risk_decision_list(approved=False)[:10],
        "pnl_chart": mark_safe(  # noqa: S308 - built from numbers only, labels escaped
            line_chart_svg(realized_pnl_series(since=market_since), label="Realized PnL")
        ),
        "latency_chart": mark_safe(  # noqa: S308 - built from numbers only, labels escaped
            line_chart_svg(cycle_latency_series(since=wall_since), label="Cycle latency (s)")
        ),
    }
    return render(request, "monitoring/oncall.html", context)
