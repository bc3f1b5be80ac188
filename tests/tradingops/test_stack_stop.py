"""`make run`'s stack (honcho with the Procfile) stops whole on SIGTERM, by itself: every process
it started exits before honcho's 5 s grace runs out (honcho never sends SIGKILL), no process of
the stack is left, and a task running at that moment is put back on the queue and runs after the
next start. Tested both ways a stack gets SIGTERM: a terminal signals the whole
foreground process group, a process manager signals honcho alone; honcho then signals each
process's group, pool children included. The worker once hung there: a pool child killed while
it held the pool's queue lock blocked the worker's exit until honcho's SIGKILL, which lost the
task the worker had claimed.

The stack is the Procfile's, with one change: its worker also loads
``tests.tradingops.stop_tasks``, whose task runs until the test releases it. It runs on embedded
defaults, as `make run` does, and also on PostgreSQL and Redis when the session is configured
for them (the Redis transport's worker runs another loop than the filesystem one's)."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

from tests.tradingops.stack_processes import (
    ROOT,
    alive,
    descendants,
    free_port,
    migrate,
    stack_env,
    wait_until,
)
from tests.tradingops.stop_tasks import NAME as TASK

pytestmark = pytest.mark.celery_worker
STOP_S = 15  # how long the test waits for the processes; honcho's own limit is 5 s


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    var_dir = tmp_path_factory.mktemp("stack")
    migrate(var_dir)
    (var_dir / "runs").mkdir()
    procfile = (ROOT / "Procfile").read_text().splitlines()
    worker = [n for n, line in enumerate(procfile) if line.startswith("worker:")]
    assert len(worker) == 1, procfile
    procfile[worker[0]] += " --include tests.tradingops.stop_tasks"
    (var_dir / "Procfile").write_text("\n".join(procfile) + "\n")
    return var_dir


def _live(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/live", timeout=2):
            return True
    except OSError:
        return False


def _env(var_dir: Path, **extra: str) -> dict[str, str]:
    return stack_env(var_dir, STOP_TASKS_DIR=str(var_dir / "runs"), **extra)


def _start(var_dir: Path, **extra: str) -> tuple[subprocess.Popen, Path]:
    port = free_port()
    log = var_dir / f"honcho-{port}.log"
    honcho = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "honcho"), "start", "-f", str(var_dir / "Procfile")],
        cwd=ROOT,
        env=_env(var_dir, WEB_PORT=str(port), **extra),
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own group, as a shell gives a foreground job
    )
    wait_until(lambda: _live(port), 120, "the web answering /health/live")
    wait_until(lambda: b"ready." in log.read_bytes(), 120, "the worker ready")
    wait_until(lambda: b"beat: Starting" in log.read_bytes(), 60, "beat started")
    return honcho, log


def _runs(var_dir: Path, key: str, what: str) -> list[Path]:
    return sorted((var_dir / "runs").glob(f"{key}.{what}*"))


def _hold_a_task(var_dir: Path, key: str, **extra: str) -> None:
    """Publish a run of the holding task and wait until a pool child runs it."""
    subprocess.run(
        [sys.executable, "-m", "tests.tradingops.stop_tasks", key],
        cwd=ROOT,
        env=_env(var_dir, **extra),
        check=True,
        capture_output=True,
        timeout=120,
    )
    wait_until(lambda: _runs(var_dir, key, "started"), 60, f"the worker running task {key}")


def _held_keys(raw_messages: list[bytes]) -> list[str]:
    """The keys of the holding task's runs among kombu message envelopes."""
    keys = []
    for raw in raw_messages:
        message = json.loads(raw)
        if message["headers"]["task"] == TASK:
            _args, kwargs, _embed = json.loads(base64.b64decode(message["body"]))
            keys.append(kwargs["key"])
    return keys


def _queued_on_disk(var_dir: Path) -> list[str]:
    """Held runs waiting in the embedded broker's queue folder."""
    return _held_keys([path.read_bytes() for path in (var_dir / "broker" / "queue").glob("*.msg")])


def _assert_stops(honcho: subprocess.Popen, log: Path, send_sigterm: Callable[[], None]) -> None:
    stack = descendants(honcho.pid) | {honcho.pid}
    assert len(alive(stack)) >= 6, alive(stack)  # honcho, its helpers, web, worker, beat

    send_sigterm()
    try:
        wait_until(lambda: not alive(stack), STOP_S, "every process of the stack gone")
    finally:
        left = alive(stack)
        for pid in left:  # never leave them to the next test
            os.kill(pid, signal.SIGKILL)
        honcho.wait(timeout=10)
    output = log.read_text(errors="replace")
    assert not left, f"still running {STOP_S} s after SIGTERM: {left}\n{output[-3000:]}"
    # honcho sends SIGKILL to what still runs 5 s after its SIGTERM ("sending SIGKILL to ...").
    assert "SIGKILL" not in output, output[-3000:]
    assert "Unrecoverable" not in output and "Traceback" not in output, output[-3000:]


def _stop_requeue_and_rerun(
    var_dir: Path, key: str, queued: Callable[[], list[str]], **extra: str
) -> None:
    """Stop the stack by SIGTERM to its process group while a task runs; the task goes back on
    the queue, and the next start runs it to the end and stops as cleanly with nothing
    running."""
    honcho, log = _start(var_dir, **extra)
    _hold_a_task(var_dir, key, **extra)
    # honcho leads its group (start_new_session), as a foreground job does in a terminal.
    _assert_stops(honcho, log, lambda: os.killpg(honcho.pid, signal.SIGTERM))

    assert _runs(var_dir, key, "finished") == []
    assert queued() == [key]

    (var_dir / "runs" / "release").touch()
    try:
        honcho, log = _start(var_dir, **extra)
        wait_until(lambda: _runs(var_dir, key, "finished"), 60, "the requeued task run")
        _assert_stops(honcho, log, lambda: os.killpg(honcho.pid, signal.SIGTERM))
    finally:
        (var_dir / "runs" / "release").unlink()
    assert len(_runs(var_dir, key, "started")) == 2
    assert queued() == []


def test_sigterm_to_the_process_group_as_a_terminal_stops_every_process_and_requeues_the_task(
    migrated,
):
    _stop_requeue_and_rerun(migrated, "terminal", lambda: _queued_on_disk(migrated))


def test_sigterm_to_honcho_alone_as_a_process_manager_stops_every_process_and_requeues_the_task(
    migrated,
):
    honcho, log = _start(migrated)
    _hold_a_task(migrated, "manager")

    _assert_stops(honcho, log, lambda: os.kill(honcho.pid, signal.SIGTERM))

    assert _runs(migrated, "manager", "finished") == []
    assert _queued_on_disk(migrated) == ["manager"]


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return f"postgres://{db['USER']}{password}@{host}:{port}/{db['NAME']}"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(
    not (
        settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
        and settings.CELERY_BROKER_URL.startswith("redis://")
    ),
    reason="runs when the session is on PostgreSQL and Redis (the embedded tests above always run)",
)
def test_on_postgresql_and_redis_sigterm_stops_every_process_and_requeues_the_task(migrated):
    # The stack runs dev settings, as `make run` does: Celery's default queue on this session's
    # broker database, and pytest-django's test database (migrated).
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    backends = {
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "REDIS_URL": settings.REDIS_URL or "",
    }
    broker.delete("celery", "unacked", "unacked_index")
    try:
        _stop_requeue_and_rerun(
            migrated, "redis", lambda: _held_keys(broker.lrange("celery", 0, -1)), **backends
        )
    finally:
        broker.delete("celery", "unacked", "unacked_index")
