"""The Celery app: configuration from Django settings (CELERY_*), tasks from every app."""

from __future__ import annotations

import gc
import os
from typing import Any

import structlog
from billiard.common import REMAP_SIGTERM
from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tradingops.settings.dev")

app = Celery("tradingops")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Binds the publishing request's request_id into each task's log context (django-structlog).
from django_structlog.celery.steps import DjangoStructLogInitStep  # noqa: E402

app.steps["worker"].add(DjangoStructLogInitStep)


@signals.celeryd_after_setup.connect
def _prepare_worker_for_a_quick_stop(**kwargs: Any) -> None:
    """In a ``celery worker`` process (not a test's in-process worker), before its pool starts.

    Leaves what the worker loaded at startup out of every later collection: the interpreter's
    last collections at exit otherwise scanned it all again, 1.5 s of the few seconds a worker
    has to stop (honcho sends SIGKILL 5 s after SIGTERM). Warns when SIGTERM is not remapped:
    such a worker can hang on SIGTERM to its process group and lose the task it was running
    (CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT in settings)."""
    gc.freeze()
    if REMAP_SIGTERM != "SIGQUIT":
        structlog.get_logger(__name__).warning("worker_sigterm_not_remapped", remap=REMAP_SIGTERM)
