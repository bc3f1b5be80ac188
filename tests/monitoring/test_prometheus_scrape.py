"""A real Prometheus scrapes a real web and worker while the loop runs.

The stack runs as subprocesses on embedded defaults in a scratch directory (migrate, seed,
runserver, a prefork worker with its metrics port, beat), Debian's prometheus scrapes the web's
/metrics and the worker's port every second, and the test asks Prometheus's HTTP API for the
scheduler, data and risk series. Every process started here is stopped at the end.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = shutil.which("prometheus")
DEADLINE_S = 120
SCRAPE_TOKEN = "scrape-test-monitoring-token"

if PROMETHEUS is None and os.environ.get("CI"):
    pytest.fail("prometheus is missing in CI: .ci/run must install Debian's prometheus package")
pytestmark = [
    pytest.mark.prometheus,
    pytest.mark.skipif(PROMETHEUS is None, reason="prometheus not installed; CI installs it"),
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _stack_env(var_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="tradingops.settings.dev",
        TRADINGOPS_VAR_DIR=str(var_dir),
        TRADINGOPS_CLOCK_SPEED="30",
        TRADINGOPS_CLOCK_ANCHOR=str(time.time()),
        SCHEDULE_INGEST_SECONDS="2",
        SCHEDULE_TRADE_SECONDS="2",
        PROMETHEUS_MULTIPROC_DIR=str(var_dir / "prometheus-multiproc"),
        TRADINGOPS_ADMIN_PASSWORD="scrape-test-password",
        # /metrics as in production: only with the monitoring token, which Prometheus sends.
        METRICS_PUBLIC="false",
        MONITORING_TOKEN=SCRAPE_TOKEN,
        LOG_FORMAT="json",
    )
    return env


def _query(port: int, expr: str) -> list[dict]:
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return json.load(response)["data"]["result"]
    except OSError:
        return []


def _wait_for(port: int, expr: str) -> list[dict]:
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        result = _query(port, expr)
        if result:
            return result
        time.sleep(1)
    raise AssertionError(f"Prometheus never returned {expr!r} within {DEADLINE_S} s")


@pytest.fixture
def stack(tmp_path) -> Iterator[dict[str, int]]:
    env = _stack_env(tmp_path)
    (tmp_path / "prometheus-multiproc").mkdir()
    python = sys.executable
    manage = [python, "manage.py"]
    for step in (["migrate", "--noinput"], ["seed"]):
        subprocess.run(
            [*manage, *step],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            timeout=300,
        )
    web_port, worker_port, prom_port = _free_port(), _free_port(), _free_port()
    config = tmp_path / "prometheus.yml"
    jobs = {"tradingops-web": web_port, "tradingops-worker": worker_port}
    config.write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\nscrape_configs:\n"
        + "".join(
            f"  - job_name: {job}\n    static_configs: [{{targets: ['127.0.0.1:{port}']}}]\n"
            + (
                f"    authorization: {{credentials: {SCRAPE_TOKEN}}}\n"
                if job.endswith("web")
                else ""
            )
            for job, port in jobs.items()
        )
    )
    celery = [python, "-m", "celery", "-A", "tradingops"]
    commands = [
        [*manage, "runserver", f"127.0.0.1:{web_port}", "--noreload"],
        [
            *celery,
            "worker",
            "--concurrency=2",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=WARNING",
        ],
        [*celery, "beat", "--loglevel=WARNING", "--schedule", str(tmp_path / "beat-schedule")],
        [
            str(PROMETHEUS),
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{prom_port}",
        ],
    ]
    env_worker = {**env, "CELERY_WORKER_METRICS_PORT": str(worker_port)}
    logs = [open(tmp_path / f"process-{i}.log", "wb") for i in range(len(commands))]  # noqa: SIM115
    processes = [
        subprocess.Popen(
            command,
            cwd=ROOT,
            env=env_worker if i == 1 else env,
            stdout=logs[i],
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        for i, command in enumerate(commands)
    ]
    try:
        yield {"prometheus": prom_port, "web": web_port, "worker": worker_port}
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        for log in logs:
            log.close()


def test_prometheus_scrapes_scheduler_data_and_risk_series_from_web_and_worker(stack):
    port = stack["prometheus"]

    # The loop's two tasks, not any two: beat also starts the order poll, often done first.
    loop = 'task=~"marketdata.ingest_bars|execution.predict_and_trade"'
    both_tasks = (
        f'count(count by (task) (tradingops_scheduler_task_runs_total{{outcome="success",{loop}}}))'
    )
    _wait_for(port, f"{both_tasks} == 2")
    # The worker's own port is scraped on its own schedule: wait until its series are in too.
    _wait_for(
        port, 'tradingops_scheduler_task_runs_total{job="tradingops-worker",outcome="success"} > 0'
    )
    runs = _wait_for(port, 'tradingops_scheduler_task_runs_total{outcome="success"} > 0')
    _wait_for(port, 'count(up{job=~"tradingops-.*"} == 1) == 2')
    targets = _wait_for(port, 'up{job=~"tradingops-.*"} == 1')
    states = _wait_for(port, 'tradingops_scheduler_task_state{state="up"} == 1')
    ages = _wait_for(port, "tradingops_marketdata_newest_bar_age_seconds")
    # Market time runs 30x: once ingest has caught up (the first runs share two cores with the
    # worker's start), every symbol's newest bar is a few bars old at most, all at once.
    fresh = _wait_for(port, "count(tradingops_marketdata_newest_bar_age_seconds >= 0 < 600) == 3")
    kill_switch = _wait_for(port, "tradingops_risk_kill_switch_engaged")
    durations = _wait_for(port, "tradingops_scheduler_task_duration_seconds_count > 0")

    assert {r["metric"]["job"] for r in targets} == {"tradingops-web", "tradingops-worker"}
    assert {r["metric"]["job"] for r in runs} >= {"tradingops-worker"}
    # Beat also starts the order poll and the reconciliation; the loop's two must be there.
    assert {r["metric"]["task"] for r in runs} >= {
        "marketdata.ingest_bars",
        "execution.predict_and_trade",
    }
    assert {r["metric"]["periodic_task"] for r in states} <= {
        "ingest-bars",
        "predict-and-trade",
        "build-dataset",
        "drift-reports",
        "expire-risk-overrides",
        "verify-audit-chain",
        "poll-order-updates",
        "reconcile-broker",
        "ledger-check",
        "staging-run-report",
        "database-backup",
        "restore-drill",
    }
    assert {r["metric"]["symbol"] for r in ages} == {"AAPL", "MSFT", "SPY"}
    assert [float(r["value"][1]) for r in fresh] == [3.0]
    assert [float(r["value"][1]) for r in kill_switch] == [0.0]
    assert durations
