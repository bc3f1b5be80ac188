"""A task that records each run as a file, for the embedded broker's load test: a worker loads
it with ``--include``, and ``python -m tests.tradingops.broker_load_tasks PREFIX COUNT``
publishes COUNT runs of it from a process of its own."""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

from tradingops.celery import app

NAME = "tests.broker_load.record"


@app.task(name=NAME, bind=True, ignore_result=True)
def record(self, key: str | None = None) -> None:
    """Create ``<runs>/<key>`` (beat's runs use their task id); a second run of the same key
    leaves a ``.again`` file, which the test counts as a duplicate."""
    runs = Path(os.environ["BROKER_LOAD_RUNS_DIR"])
    name = key or self.request.id
    try:
        descriptor = os.open(runs / name, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        (runs / f"{name}.again.{uuid.uuid4().hex}").touch()
        return
    os.close(descriptor)


if __name__ == "__main__":
    import django

    django.setup()  # the result backend the app names is a Django model
    prefix, count = sys.argv[1], int(sys.argv[2])
    with app.connection_for_write() as connection:
        for n in range(count):
            app.send_task(NAME, kwargs={"key": f"{prefix}-{n}"}, connection=connection)
