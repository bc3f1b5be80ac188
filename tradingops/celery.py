"""The Celery app: configuration from Django settings (CELERY_*), tasks from every app."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tradingops.settings.dev")

app = Celery("tradingops")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Binds the publishing request's request_id into each task's log context (django-structlog).
from django_structlog.celery.steps import DjangoStructLogInitStep  # noqa: E402

app.steps["worker"].add(DjangoStructLogInitStep)
