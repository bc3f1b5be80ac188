"""The whole stack as real processes: fake providers, web, worker, beat and Prometheus.

Used by ``manage.py soak`` and ``manage.py game_day``. It imports no model: it starts and stops
processes, each in its own session (process group) so a stop reaches a worker's pool
children too, and only ever signals the processes it started. Because those sessions are their
own, a signal to the command does not reach them: ``stopped_on_termination`` turns SIGTERM and
SIGHUP into an exception that unwinds to the runner's ``stop()``, and every child asks the
kernel for SIGTERM when the command dies without unwinding (SIGKILL). Everything the stack writes
(SQLite file or scratch PostgreSQL database, filesystem broker or private Redis, artifacts,
Prometheus data, logs) lives under its own scratch directory or names, so a soak never
touches the operator's data.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from harness.fakes.alpaca import KEY_ID, SECRET
from harness.fakes.polygon import API_KEY as POLYGON_KEY

BASE_DIR = Path(__file__).resolve().parent.parent
RULES = BASE_DIR / "docker" / "prometheus" / "rules" / "tradingops.yml"
MANAGE = [sys.executable, str(BASE_DIR / "manage.py")]
CELERY = [sys.executable, "-m", "celery", "-A", "tradingops"]


class StackTerminated(Exception):
    """The command that owns a stack got SIGTERM or SIGHUP: unwind and stop the stack."""


@contextlib.contextmanager
def stopped_on_termination() -> Iterator[None]:
    """While the block runs, SIGTERM and SIGHUP raise ``StackTerminated`` in the main thread,
    so the caller's ``finally`` stops every process group the stack started (a warm shutdown:
    workers finish or requeue their tasks) instead of leaving them orphaned."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return

    def _raise(signum: int, _frame: object) -> None:
        raise StackTerminated(f"terminated by {signal.Signals(signum).name}")

    previous = {signum: signal.signal(signum, _raise) for signum in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


_PR_SET_PDEATHSIG = 1
# Looked up here, in the parent: the child between fork and exec only calls it.
_PRCTL = ctypes.CDLL(None, use_errno=True).prctl if sys.platform.startswith("linux") else None


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the parent dies, even by SIGKILL (Linux only;
    elsewhere ``stopped_on_termination`` is the only guard)."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port() -> int:
    """A port the kernel says is free now (port 0); the child binds it a moment later."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def rss_kib(pid: int) -> int:
    """Resident memory of ``pid`` and its children (a prefork worker's pool), from /proc."""
    total = 0
    for candidate in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{candidate}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except FileNotFoundError:
        return []
    found = [int(child) for child in text.split()]
    return found + [grand for child in found for grand in _children(child)]


@dataclass
class StackSpec:
    """What to run: the clock, the schedule, and where the scratch state goes."""

    var_dir: Path
    database_url: str
    speed: float
    first_session: str
    timeframe: str = "15m"
    calendar: str = "XNYS"
    schedule_seconds: int = 1
    worker_concurrency: int = 2
    private_redis: bool = False
    redis_port: int = 0  # 0: a free port
    settings_module: str = "tradingops.settings.dev"
    broker: str = "paper"  # or "simulator": the Alpaca-protocol simulator and trade stream
    extra_env: dict[str, str] = field(default_factory=dict)


@dataclass
class Stack:
    spec: StackSpec
    anchor: float = 0.0
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)

    # -- environment ----------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        spec, var = self.spec, self.spec.var_dir
        env = {key: value for key, value in os.environ.items() if key not in _SCRUBBED}
        env |= {
            "DJANGO_SETTINGS_MODULE": spec.settings_module,
            "TRADINGOPS_VAR_DIR": str(var),
            "DATABASE_URL": spec.database_url,
            "MODEL_ARTIFACT_DIR": str(var / "artifacts"),
            "PROMETHEUS_MULTIPROC_DIR": str(var / "prometheus-multiproc"),
            "TRADINGOPS_CLOCK_SPEED": str(spec.speed),
            "TRADINGOPS_CLOCK_ANCHOR": str(self.anchor),
            "TRADINGOPS_CLOCK_SESSION_START": spec.first_session if spec.speed != 1 else "",
            "TRADINGOPS_CLOCK_CALENDAR": spec.calendar,
            "MARKETDATA_TIMEFRAME": spec.timeframe,
            "MARKETDATA_PROVIDERS": "alpaca,polygon",
            "ALPACA_DATA_URL": self.urls.get("alpaca", ""),
            "ALPACA_API_KEY_ID": KEY_ID,
            "ALPACA_API_SECRET_KEY": SECRET,
            "POLYGON_BASE_URL": self.urls.get("polygon", ""),
            "POLYGON_API_KEY": POLYGON_KEY,
            "SCHEDULE_INGEST_SECONDS": str(spec.schedule_seconds),
            "SCHEDULE_TRADE_SECONDS": str(spec.schedule_seconds),
            "MARKETDATA_PROVIDER_TIMEOUT_S": "2",
            "MARKETDATA_RETRY_ATTEMPTS": "2",
            "MARKETDATA_RETRY_INITIAL_WAIT_S": "0.2",
            "MARKETDATA_BREAKER_RESET_S": "5",
            "LOG_LEVEL": "WARNING",
            "LOG_FORMAT": "json",
            "CELERY_BROKER_URL": self.urls.get("broker", "filesystem://"),
        }
        if "redis" in self.urls:
            env["REDIS_URL"] = self.urls["redis"]
        if spec.broker == "simulator":
            env |= self._simulator_env()
        return env | spec.extra_env

    def _simulator_env(self) -> dict[str, str]:
        """Orders through alpaca-py to the simulator on its own port; participation 1 so a
        market order fills within its bar, as the paper broker does (the lost-order check
        gives one bar of slack); client timeout 2 s so a timeout fault is felt at once."""
        port = self.ports["simulator"]
        return {
            "EXECUTION_BROKER": "alpaca",
            "ALPACA_TRADING_BASE_URL": f"http://127.0.0.1:{port}",
            "ALPACA_TRADING_STREAM_URL": f"ws://127.0.0.1:{port}/stream",
            "ALPACA_SIMULATOR_DB_PATH": str(self.spec.var_dir / "alpaca_simulator.sqlite3"),
            "ALPACA_SIMULATOR_PARTICIPATION": "1",
            "ALPACA_TRADING_TIMEOUT_S": "2",
        }

    # -- lifecycle ------------------------------------------------------------------------

    def prepare(self) -> None:
        """Scratch directories, fake providers and (optionally) a private Redis: everything
        the seed needs before the clock starts."""
        var = self.spec.var_dir
        for sub in ("logs", "artifacts", "prometheus-multiproc", "prometheus-data"):
            (var / sub).mkdir(parents=True, exist_ok=True)
        for name, module in (("alpaca", "alpaca"), ("polygon", "polygon")):
            self.urls[name] = self._start_fake(name, f"harness.fakes.{module}")
        if self.spec.broker == "simulator":  # first: every process's environment names it
            self.ports["simulator"] = free_port()
            self.urls["simulator"] = f"http://127.0.0.1:{self.ports['simulator']}"
        if self.spec.private_redis:
            self.redis_start()

    def manage(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        """Run a management command inside the stack's environment; raise on failure."""
        done = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
            [*MANAGE, *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed: {done.stderr[-2000:]}")
        return done

    def start(self, *, anchor: float) -> None:
        """Start web, worker, beat and Prometheus with the clock anchored at ``anchor``."""
        self.anchor = anchor
        self.ports["web"] = free_port()
        self.urls["web"] = f"http://127.0.0.1:{self.ports['web']}"
        self.web_start()
        if self.spec.broker == "simulator":
            self.simulator_start()
            self.trade_stream_start()
        self.worker_start()
        self.beat_start()
        if shutil.which("prometheus"):
            self.prometheus_start()

    def web_start(self) -> None:
        address = f"127.0.0.1:{self.ports['web']}"
        self._spawn("web", [*MANAGE, "runserver", address, "--noreload"])

    def simulator_start(self) -> None:
        port = str(self.ports["simulator"])
        self._spawn("simulator", [*MANAGE, "run_broker_simulator", "--port", port])
        _wait_for(lambda: _tcp_open(self.ports["simulator"]), 60, "broker simulator")

    def trade_stream_start(self) -> None:
        self._spawn("stream", [*MANAGE, "run_trade_stream"])

    def worker_start(self, name: str = "worker") -> None:
        self._spawn(
            name,
            [
                # As in the Procfile: SIGTERM to the group lets the pool children run on while
                # the worker finishes or requeues their tasks (CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT).
                "env",
                "REMAP_SIGTERM=SIGQUIT",
                *CELERY,
                "worker",
                "--loglevel=WARNING",
                f"--concurrency={self.spec.worker_concurrency}",
                "--without-gossip",
                "--without-mingle",
                f"--hostname={name}@%h",
            ],
        )

    def beat_start(self) -> None:
        schedule = self.spec.var_dir / "celerybeat-schedule"
        self._spawn("beat", [*CELERY, "beat", "--loglevel=WARNING", f"--schedule={schedule}"])

    def redis_start(self) -> None:
        port = self.ports.get("redis") or self.spec.redis_port or free_port()
        self.ports["redis"] = port
        self._spawn(
            "redis",
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(port),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
        )
        self.urls["broker"] = f"redis://127.0.0.1:{port}/0"
        self.urls["redis"] = f"redis://127.0.0.1:{port}/1"
        _wait_for(lambda: _tcp_open(port), 10, "redis")

    def prometheus_start(self) -> None:
        var = self.spec.var_dir
        config = var / "prometheus.yml"
        config.write_text(
            "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
            f"rule_files: ['{RULES}']\n"
            "scrape_configs:\n"
            "  - job_name: tradingops-web\n"
            "    metrics_path: /metrics\n"
            f"    static_configs: [{{targets: ['127.0.0.1:{self.ports['web']}']}}]\n"
        )
        self.ports["prometheus"] = free_port()
        self.urls["prometheus"] = f"http://127.0.0.1:{self.ports['prometheus']}"
        self._spawn(
            "prometheus",
            [
                "prometheus",
                f"--config.file={config}",
                f"--storage.tsdb.path={var / 'prometheus-data'}",
                f"--web.listen-address=127.0.0.1:{self.ports['prometheus']}",
                "--storage.tsdb.retention.time=1d",
            ],
        )

    def wait_ready(self, timeout: float = 120) -> None:
        """Until the web answers /health/live (the first request imports the whole app)."""
        _wait_for(lambda: _http_ok(f"{self.urls['web']}/health/live"), timeout, "web")

    def stop(self) -> None:
        """SIGTERM every process group we started (warm shutdown), SIGKILL what lingers."""
        for name in reversed(list(self.processes)):
            self.send_signal(name, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for name, process in list(self.processes.items()):
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                self.send_signal(name, signal.SIGKILL)
                process.wait(timeout=5)
        self.processes.clear()

    # -- process control (game days) ------------------------------------------------------

    def send_signal(self, name: str, signum: int) -> None:
        process = self.processes.get(name)
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signum)  # the group we created: this process and its pool

    def terminate(self, name: str, signum: int = signal.SIGTERM, timeout: float = 20) -> None:
        self.send_signal(name, signum)
        process = self.processes.pop(name, None)
        if process is not None:
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)

    def alive(self, name: str) -> bool:
        process = self.processes.get(name)
        return process is not None and process.poll() is None

    def memory_kib(self) -> dict[str, int]:
        return {
            name: rss_kib(process.pid)
            for name, process in self.processes.items()
            if process.poll() is None
        }

    def fake_control(self, provider: str, action: str, **params: object) -> dict:
        """``POST /_control/<action>`` on a fake provider (fault, recover, bad_tick)."""
        response = httpx.post(
            f"{self.urls[provider]}/_control/{action}",
            params={key: str(value) for key, value in params.items()},
            timeout=5,
        )
        response.raise_for_status()
        return response.json()

    # -- internals ------------------------------------------------------------------------

    def _spawn(self, name: str, command: list[str]) -> subprocess.Popen:
        log = (self.spec.var_dir / "logs" / f"{name}.log").open("ab")
        process = subprocess.Popen(  # noqa: S603 - fixed commands, no shell
            command,
            cwd=BASE_DIR,
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop() reaches its children
            preexec_fn=_die_with_parent,  # the kernel stops it if we die unwinding nothing
        )
        self.processes[name] = process
        return process

    def _start_fake(self, name: str, module: str) -> str:
        """Start a fake provider process; its first stdout line is its base URL."""
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", module, "--calendar", self.spec.calendar],
            cwd=BASE_DIR,
            env={**os.environ, "PYTHONPATH": str(BASE_DIR)},
            stdout=subprocess.PIPE,
            stderr=(self.spec.var_dir / "logs" / f"{name}.log").open("ab"),
            text=True,
            start_new_session=True,
            preexec_fn=_die_with_parent,  # the kernel stops it if we die unwinding nothing
        )
        self.processes[name] = process
        assert process.stdout is not None  # noqa: S101 - set by stdout=PIPE above
        return process.stdout.readline().strip()


# The parent's own choices that must not leak into the stack (it gets its own of each).
_SCRUBBED = {
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "REDIS_URL",
    "TRADINGOPS_VAR_DIR",
    "PROMETHEUS_MULTIPROC_DIR",
    "TRADINGOPS_CLOCK_ANCHOR",
    "MARKETDATA_SYNTHETIC_FAULTS",
}


def _tcp_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _http_ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _wait_for(ready: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        time.sleep(0.5)
    raise TimeoutError(f"{what} not ready within {timeout:.0f} s")
