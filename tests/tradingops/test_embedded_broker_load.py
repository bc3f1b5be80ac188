"""Beat, a prefork worker (as in the Procfile) and three publishing processes on the embedded
broker at once, with broken message files dropped into its queue folder meanwhile: the worker
survives, sets the broken files aside and counts them, and every good task runs exactly once
(a worker must never die of a message file beat has not finished writing)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, multiprocess

from tests.tradingops.broker_load_tasks import NAME
from tests.tradingops.stack_processes import ROOT, alive, migrate, stack_env, wait_until

pytestmark = pytest.mark.celery_worker
PUBLISHERS, PER_PUBLISHER = 3, 40
PUBLISH = [sys.executable, "-m", "tests.tradingops.broker_load_tasks"]
BROKEN = {
    "0_empty.celery.msg": b"",
    "0_half.celery.msg": b'{"body": "eyJ',
    "0_list.celery.msg": b"[]",
}
SCHEDULE = f"""
from django_celery_beat.models import IntervalSchedule, PeriodicTask
every, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
PeriodicTask.objects.update_or_create(name="broker-load", defaults={{"task": "{NAME}",
    "interval": every}})
"""


@pytest.fixture
def stack(tmp_path):
    migrate(tmp_path)
    runs, metrics = tmp_path / "runs", tmp_path / "prometheus"
    runs.mkdir()
    metrics.mkdir()
    env = stack_env(tmp_path, BROKER_LOAD_RUNS_DIR=str(runs), PROMETHEUS_MULTIPROC_DIR=str(metrics))
    python = [sys.executable, "manage.py", "shell", "-c", SCHEDULE]
    subprocess.run(python, cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)
    celery = [sys.executable, "-m", "celery", "-A", "tradingops"]
    commands = {
        "worker": [
            # As the Procfile starts it: SIGTERM to its group stops it in seconds.
            "env", "REMAP_SIGTERM=SIGQUIT", *celery, "worker", "--concurrency=2",
            "--without-gossip", "--without-mingle",
            "--include=tests.tradingops.broker_load_tasks", "--loglevel=INFO",
        ],
        "beat": [*celery, "beat", "--loglevel=INFO", f"--schedule={tmp_path / 'beat'}"],
    }  # fmt: skip
    processes = {
        name: subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=(tmp_path / f"{name}.log").open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        for name, command in commands.items()
    }
    try:
        yield {"var": tmp_path, "env": env, "runs": runs, "metrics": metrics, **processes}
    finally:
        for process in processes.values():
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)


def _rejected(metrics: Path) -> float:
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(metrics))
    value = registry.get_sample_value(
        "tradingops_broker_messages_rejected_total", {"reason": "undecodable_file"}
    )
    return value or 0.0


def test_worker_survives_broken_messages_under_load_and_runs_each_task_once(stack):
    worker_log = stack["var"] / "worker.log"
    wait_until(lambda: b"ready." in worker_log.read_bytes(), 120, "the worker ready")
    publishers = [
        subprocess.Popen(
            [*PUBLISH, f"p{n}", str(PER_PUBLISHER)],
            cwd=ROOT,
            env=stack["env"],
        )
        for n in range(PUBLISHERS)
    ]  # fmt: skip
    queue = stack["var"] / "broker" / "queue"
    for name, content in BROKEN.items():  # while the publishers write and the worker reads
        (queue / name).write_bytes(content)
    for publisher in publishers:
        assert publisher.wait(timeout=120) == 0

    runs = stack["runs"]
    expected = {f"p{n}-{i}" for n in range(PUBLISHERS) for i in range(PER_PUBLISHER)}
    missing = lambda: expected - {p.name for p in runs.iterdir()}  # noqa: E731
    try:
        wait_until(lambda: not missing(), 120, "every published task run")
    except AssertionError as exc:
        raise AssertionError(f"{exc}: {len(missing())} of {len(expected)} missing") from None
    wait_until(lambda: len(list(runs.iterdir())) >= len(expected) + 3, 30, "beat's runs")

    assert alive({stack["worker"].pid, stack["beat"].pid}), "worker or beat died"
    assert [p.name for p in runs.iterdir() if ".again." in p.name] == []  # none ran twice
    rejected = stack["var"] / "broker" / "rejected"
    assert sorted(p.name for p in rejected.iterdir()) == sorted(BROKEN)
    assert _rejected(stack["metrics"]) == len(BROKEN)
    log = worker_log.read_text(errors="replace")
    assert "Unrecoverable" not in log, log[-3000:]
    assert log.count("broker_message_rejected") == len(BROKEN)
