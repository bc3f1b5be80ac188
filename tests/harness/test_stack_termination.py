"""A game day or soak that is told to stop (SIGTERM) or killed outright (SIGKILL) leaves no
process of its stack behind: each child has a session of its own, so nothing but our handling
and the kernel's parent-death signal would ever stop it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# A stand-in for the runners: the real Stack starts its real fake providers, then waits.
OWNER = """
import json, sys, time
from pathlib import Path
from harness.stack import Stack, StackSpec, stopped_on_termination

spec = StackSpec(var_dir=Path(sys.argv[1]), database_url="", speed=1.0, first_session="")
stack = Stack(spec)
with stopped_on_termination():
    try:
        stack.prepare()
        print(json.dumps([process.pid for process in stack.processes.values()]), flush=True)
        time.sleep(300)
    finally:
        stack.stop()
"""


def _running(pid: int) -> bool:
    """Alive and not a zombie waiting for a reaper."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def _wait_gone(pids: list[int], timeout: float = 30) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = [pid for pid in pids if _running(pid)]
        if not left:
            return []
        time.sleep(0.2)
    return [pid for pid in pids if _running(pid)]


@pytest.fixture
def stack_owner(tmp_path):
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER, str(tmp_path)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    children = json.loads(owner.stdout.readline())
    assert len(children) == 2 and all(_running(pid) for pid in children)
    yield owner, children
    for pid in children:
        if _running(pid):
            os.kill(pid, signal.SIGKILL)
    if owner.poll() is None:
        owner.kill()
    owner.wait(timeout=10)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_sigterm_unwinds_and_stops_every_process_of_the_stack(stack_owner):
    owner, children = stack_owner

    owner.send_signal(signal.SIGTERM)
    owner.wait(timeout=30)

    assert owner.returncode != 0
    assert "StackTerminated: terminated by SIGTERM" in owner.stderr.read()
    assert _wait_gone(children, timeout=1) == []  # stopped and reaped before the owner exited


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_killed_owner_takes_its_stack_with_it(stack_owner):
    owner, children = stack_owner

    owner.kill()
    owner.wait(timeout=10)

    assert _wait_gone(children) == []
