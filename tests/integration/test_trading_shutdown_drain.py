"""A graceful trading_shutdown drains a real Celery worker process: the warm shutdown it
broadcasts makes the worker finish and exit cleanly, and the event records which worker.

The worker is a separate ``celery worker`` process on this session's broker (filesystem or
Redis); it needs no database, since draining only uses the broker's control channel.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django_celery_beat.models import PeriodicTask

from operations.lifecycle import trading_shutdown
from operations.models import TradingLifecycleEvent
from operations.schedule import periodic_tasks_setup
from tradingops.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db]


@pytest.fixture
def worker_process():
    name = f"drain-it-{uuid.uuid4().hex[:8]}@localhost"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "tradingops",
            "worker",
            "-P",
            "solo",
            "-Q",
            settings.CELERY_TASK_DEFAULT_QUEUE,
            "-n",
            name,
            "--without-gossip",
            "--without-mingle",
            "-l",
            "WARNING",
        ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tradingops.settings.test"},
    )
    try:
        deadline = time.monotonic() + 60
        while not celery_app.control.ping(destination=[name], timeout=1.0):
            assert process.poll() is None, "the worker exited before answering a ping"
            assert time.monotonic() < deadline, "the worker did not answer a ping in 60 s"
        yield name, process
    finally:
        if process.poll() is None:  # only if the test failed to drain it
            process.kill()
            process.wait(timeout=30)


def test_graceful_shutdown_warm_stops_the_worker_and_records_it(worker_process, desk_operator):
    name, process = worker_process
    periodic_tasks_setup()

    report = trading_shutdown(
        mode="graceful",
        reason="maintenance window",
        actor=desk_operator,
        order_timeout_s=0,
        drain_timeout_s=30,
    )

    assert process.wait(timeout=60) == 0  # a warm shutdown exits cleanly
    drain = next(s for s in report.steps if s["step"] == "drain_workers")
    assert drain["ok"] and name in drain["workers"]
    assert report.outcome == "done"
    assert not PeriodicTask.objects.filter(enabled=True).exists()
    event = TradingLifecycleEvent.objects.get()
    assert event.actor_name == "oscar" and event.outcome == "done"
    assert celery_app.control.ping(destination=[name], timeout=1.0) == []
