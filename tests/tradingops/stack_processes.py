"""Helpers for tests that run the stack as real processes: a migrated scratch directory on
embedded defaults, and the process tree of a stack read from /proc."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def stack_env(var_dir: Path, **extra: str) -> dict[str, str]:
    """Embedded defaults (SQLite and the filesystem broker) in ``var_dir``, whatever this test
    session itself runs on."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL", "PROMETHEUS_MULTIPROC_DIR")
    }
    return env | {
        "DJANGO_SETTINGS_MODULE": "tradingops.settings.dev",
        "TRADINGOPS_VAR_DIR": str(var_dir),
        "LOG_FORMAT": "console",
        **extra,
    }


def migrate(var_dir: Path) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=stack_env(var_dir),
        check=True,
        capture_output=True,
        timeout=300,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid``, from the kernel's children lists."""
    found: set[int] = set()
    pending = [pid]
    while pending:
        parent = pending.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = [int(c) for c in (task / "children").read_text().split()]
            except (FileNotFoundError, ProcessLookupError):
                continue
            new = set(children) - found
            found |= new
            pending.extend(new)
    return found


def alive(pids: set[int]) -> dict[int, str]:
    """The pids that still run (zombies count as gone), with their command lines."""
    running = {}
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if state != "Z":
            running[pid] = command.strip()
    return running


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s")
        time.sleep(0.2)
