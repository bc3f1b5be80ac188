"""A task that is still running when the stack is told to stop, for tests/tradingops/
test_stack_stop.py: the stack's worker loads it with ``--include``, and
``python -m tests.tradingops.stop_tasks KEY`` publishes one run from a process of its own.

Each run leaves ``<STOP_TASKS_DIR>/<key>.started.<pid>``, then waits (up to a minute) until
``<STOP_TASKS_DIR>/release`` exists and leaves ``<key>.finished``: a run that was stopped
half-way started but never finished."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from tradingops.celery import app

NAME = "tests.stack_stop.hold"
HOLD_S = 60


@app.task(name=NAME, ignore_result=True)
def hold(key: str) -> None:
    runs = Path(os.environ["STOP_TASKS_DIR"])
    (runs / f"{key}.started.{os.getpid()}").touch()
    deadline = time.monotonic() + HOLD_S
    while not (runs / "release").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    (runs / f"{key}.finished").touch()


if __name__ == "__main__":
    import django

    django.setup()  # the result backend the app names is a Django model
    app.send_task(NAME, kwargs={"key": sys.argv[1]})
