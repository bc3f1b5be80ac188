"""Celery signal receivers that name every task's actor."""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

import structlog
from celery import signals

from common.actors import acting_as

logger = structlog.get_logger(__name__)
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
