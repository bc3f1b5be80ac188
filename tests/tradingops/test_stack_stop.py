"""`make run`'s stack (honcho with the Procfile) stops whole on SIGTERM: within 15 s no process
it started is left, whether a terminal signals the whole foreground process group or a process
manager signals honcho alone (issue 14 §7: a worker's main process once outlived it, stuck in
its pool's shutdown after the pool children got the same signal)."""

from __future__ import annotations

import os
import signal
import subprocess
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.tradingops.stack_processes import (
    ROOT,
    alive,
    descendants,
    free_port,
    migrate,
    stack_env,
    wait_until,
)

pytestmark = pytest.mark.celery_worker
STOP_S = 15


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    var_dir = tmp_path_factory.mktemp("stack")
    migrate(var_dir)
    return var_dir


def _live(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/live", timeout=2):
            return True
    except OSError:
        return False


def _start(var_dir: Path) -> tuple[subprocess.Popen, Path]:
    port = free_port()
    log = var_dir / f"honcho-{port}.log"
    honcho = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "honcho"), "start", "-f", "Procfile"],
        cwd=ROOT,
        env=stack_env(var_dir, WEB_PORT=str(port)),
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own group, as a shell gives a foreground job
    )
    wait_until(lambda: _live(port), 120, "the web answering /health/live")
    wait_until(lambda: b"ready." in log.read_bytes(), 120, "the worker ready")
    wait_until(lambda: b"beat: Starting" in log.read_bytes(), 60, "beat started")
    return honcho, log


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
    assert "Unrecoverable" not in output and "Traceback" not in output, output[-3000:]


def test_sigterm_to_the_process_group_as_a_terminal_stops_every_process(migrated):
    honcho, log = _start(migrated)
    # honcho leads its group (start_new_session), as a foreground job does in a terminal.
    _assert_stops(honcho, log, lambda: os.killpg(honcho.pid, signal.SIGTERM))


def test_sigterm_to_honcho_alone_as_a_process_manager_stops_every_process(migrated):
    honcho, log = _start(migrated)
    _assert_stops(honcho, log, lambda: os.kill(honcho.pid, signal.SIGTERM))
