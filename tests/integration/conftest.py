"""A real Celery worker, in a thread of the test process, on the configured broker."""

from __future__ import annotations

import celery.contrib.testing.tasks  # noqa: F401 - registers celery.ping for start_worker
import pytest
from celery.contrib.testing.worker import start_worker

from tradingops.celery import app as celery_app


@pytest.fixture
def worker():
    # Tasks are acknowledged late, so a message whose result an earlier test already read may
    # still sit on the queue when that test's worker stopped; start each test on an empty one.
    celery_app.control.purge()
    with start_worker(
        celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30
    ) as running:
        yield running
