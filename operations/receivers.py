"""Celery signal receivers that time every task, count its outcome and name its actor."""

from __future__ import annotations

import time
from contextlib import ExitStack
from typing import Any

import structlog
from celery import signals

from common.actors import acting_as
from operations import metrics

logger = structlog.get_logger(__name__)
_started: dict[str, float] = {}
_actors: dict[str, ExitStack] = {}


@signals.task_prerun.connect
def _task_actor_set(task_id: str, task: Any, **kwargs: Any) -> None:
    """Every change a task makes is recorded as made by ``celery:<task name>`` (auditlog's
    actor and the audit chain's), until the task ends."""
    if task.name.startswith("celery."):
        return  # Celery's own housekeeping tasks change nothing
    stack = ExitStack()
    try:
        stack.enter_context(acting_as(f"celery:{task.name}"))
    except Exception:  # the task must still run (and fail on its own) if the DB is down
        logger.exception("task_actor_unavailable", task=task.name)
        return
    _actors[task_id] = stack


@signals.task_postrun.connect
def _task_actor_clear(task_id: str, **kwargs: Any) -> None:
    stack = _actors.pop(task_id, None)
    if stack is not None:
        stack.close()


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
