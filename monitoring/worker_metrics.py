"""A metrics port for Celery workers, which serve no HTTP of their own.

Set CELERY_WORKER_METRICS_PORT to expose the worker's metrics there; with
PROMETHEUS_MULTIPROC_DIR set, the port adds up the counters of every prefork child.
"""

from __future__ import annotations

import os
from typing import Any

import structlog
from celery import signals
from prometheus_client import REGISTRY, CollectorRegistry, multiprocess, start_http_server

logger = structlog.get_logger(__name__)


@signals.worker_init.connect
def _serve_worker_metrics(**kwargs: Any) -> None:
    port = int(os.environ.get("CELERY_WORKER_METRICS_PORT", "0") or 0)
    if not port:
        return
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    start_http_server(
        port, addr=os.environ.get("CELERY_WORKER_METRICS_ADDR", "127.0.0.1"), registry=registry
    )
    logger.info("worker_metrics_serving", port=port)


@signals.worker_process_shutdown.connect
def _mark_child_dead(pid: int | None = None, **kwargs: Any) -> None:
    # Live gauges of a finished prefork child must not linger in the multiprocess files.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(pid or os.getpid())
