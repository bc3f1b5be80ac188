"""Celery signal receivers that time every task and count its outcome."""

from __future__ import annotations

import time
from typing import Any

from celery import signals

from monitoring import metrics

_started: dict[str, float] = {}


@signals.task_prerun.connect
def _task_started(task_id: str, task: Any, **kwargs: Any) -> None:
    _started[task_id] = time.monotonic()


@signals.task_postrun.connect
def _task_finished(task_id: str, task: Any, state: str | None = None, **kwargs: Any) -> None:
    started = _started.pop(task_id, None)
    if started is not None:
        metrics.TASK_DURATION.labels(task.name).observe(time.monotonic() - started)
    if state == "SUCCESS":
        metrics.TASK_RUNS.labels(task.name, "success").inc()
        metrics.TASK_LAST_SUCCESS.labels(task.name).set(time.time())
    elif state == "FAILURE":
        metrics.TASK_RUNS.labels(task.name, "failure").inc()


@signals.task_retry.connect
def _task_retried(sender: Any = None, **kwargs: Any) -> None:
    metrics.TASK_RUNS.labels(getattr(sender, "name", "unknown"), "retry").inc()
