"""A Celery worker keeps consuming, and the guard reads fresh risk state, after Redis restarts.

A real ``redis-server`` of the test's own (broker and cache) and a real prefork worker process
on it, deciding orders through the guard against the PostgreSQL test database. Redis is shut
down without saving (the queue, the bindings and the cached risk-state version are lost), the
kill switch is engaged while it is down (the version reaches only the database), and Redis is
started again empty. Orders sent afterwards must be consumed and rejected for the kill switch:
neither "state unavailable" (a version store that stays unreadable) nor approved (a worker
still trusting the state it cached before the restart).

Redis goes away while a task (acknowledged late) is still running, which must not stop the
worker as it closes its channel (tradingops/redis_broker.py). Meanwhile every database
connection of the worker is dropped (a database restart, as the worker sees it), and a message
arrives expired afterwards: the worker's main process records it as revoked on its dropped
connection, which must not stop the worker either (tradingops/results.py).

It needs PostgreSQL: a worker process cannot share pytest's in-memory SQLite test database.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
import redis
from celery.result import AsyncResult
from django.conf import settings
from django.db import connection

from execution.tasks import submit_order
from marketdata.models import Bar, Instrument
from risk import state_store
from risk.models import KillSwitch, RiskDecision
from risk.services import kill_switch_engage
from tests.execution.factories import StrategyFactory
from tradingops.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]
REDIS_SERVER = shutil.which("redis-server") or "redis-server"
# Clear of the shared Redis and of game-day stacks; TEST_REDIS_PORTS=FIRST-LAST moves it to a
# range of one's own on a machine several people share.
_FIRST, _LAST = os.environ.get("TEST_REDIS_PORTS", "18550-18599").split("-")
REDIS_PORTS = range(int(_FIRST), int(_LAST) + 1)
# A deadline that includes the worker starting (Django, the pool) on a busy machine.
TASK_TIMEOUT_S = 120
pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        reason="needs DATABASE_URL on PostgreSQL: a worker process cannot share pytest's "
        "in-memory SQLite test database",
    ),
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server"),
]


def _free_port() -> int:
    for port in REDIS_PORTS:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError(f"no free port in {REDIS_PORTS}")


class PrivateRedis:
    """A ``redis-server`` without persistence that the test may stop and start again."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis(port=self.port)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.1)
        raise TimeoutError(f"redis-server on :{self.port} did not start")

    def stop(self) -> None:
        """What a crash or restart without persistence does: every key is gone."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis(_free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/"
        f"{db['NAME']}"
    )


@pytest.fixture
def worker_on(private_redis: PrivateRedis) -> Iterator[subprocess.Popen]:
    """A prefork worker (two children, as the stack runs it) on the private Redis."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tradingops.settings.test",
        "DATABASE_URL": _database_url(),  # the test database pytest-django created
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{private_redis.port}/0",
        "REDIS_URL": f"redis://127.0.0.1:{private_redis.port}/1",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "tradingops", "worker", "-c", "2",
         "-Q", settings.CELERY_TASK_DEFAULT_QUEUE, "-n", "redis-restart@%h",
         "--without-gossip", "--without-mingle", "-l", "WARNING"],
        cwd=ROOT,
        env=env,
    )  # fmt: skip
    try:
        yield worker
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()


@pytest.fixture
def redis_cache(settings, private_redis: PrivateRedis) -> None:
    """This process's cache on the private Redis too, with the project's own options."""
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{private_redis.port}/1",
            "OPTIONS": settings.REDIS_CLIENT_OPTIONS,
        }
    }
    settings.RISK_STATE_VERSION_STORE = "cache"


@contextlib.contextmanager
def _bars_locked() -> Iterator[None]:
    """Hold a lock on the bars from another connection: a task that reads a price waits."""
    with psycopg.connect(_database_url()) as locker:
        locker.execute("LOCK TABLE marketdata_bar IN ACCESS EXCLUSIVE MODE")
        yield


def _drop_other_connections() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


def _expired(strategy, instrument, private_redis: PrivateRedis) -> None:
    """Send a message that arrives expired; wait until the worker recorded it as revoked."""
    url = f"redis://127.0.0.1:{private_redis.port}/0"
    kwargs = {"strategy_id": strategy.pk, "instrument_id": instrument.pk, "side": "buy",
              "quantity": "1", "placed_at": datetime.now(tz=UTC).isoformat()}  # fmt: skip
    with celery_app.connection_for_write(url) as broker:
        result = submit_order.apply_async(
            kwargs=kwargs, expires=datetime.now(tz=UTC) - timedelta(minutes=1), connection=broker
        )
    deadline = time.monotonic() + TASK_TIMEOUT_S
    while result.state != "REVOKED" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert result.state == "REVOKED"


def _send(strategy, instrument, private_redis: PrivateRedis, n: int) -> AsyncResult:
    url = f"redis://127.0.0.1:{private_redis.port}/0"
    kwargs = {"strategy_id": strategy.pk, "instrument_id": instrument.pk, "side": "buy",
              "quantity": str(n + 1),
              "placed_at": (datetime.now(tz=UTC) + timedelta(seconds=n)).isoformat()}  # fmt: skip
    with celery_app.connection_for_write(url) as broker:
        return submit_order.apply_async(kwargs=kwargs, connection=broker)


def _submit(strategy, instrument, private_redis: PrivateRedis, first: int, count: int) -> list:
    base = datetime.now(tz=UTC)
    url = f"redis://127.0.0.1:{private_redis.port}/0"
    with celery_app.connection_for_write(url) as broker:
        results = [
            submit_order.apply_async(
                kwargs={
                    "strategy_id": strategy.pk,
                    "instrument_id": instrument.pk,
                    "side": "buy",
                    "quantity": str(n + 1),
                    "placed_at": (base + timedelta(seconds=n)).isoformat(),
                },
                connection=broker,
            )
            for n in range(first, first + count)
        ]
    return [result.get(timeout=TASK_TIMEOUT_S) for result in results]


def test_a_worker_consumes_and_reads_fresh_risk_state_after_redis_restarts_empty(
    private_redis, worker_on, redis_cache, operator
):
    instrument = Instrument.objects.create(symbol="RRS", name="redis restart drill")
    Bar.objects.create(
        instrument=instrument, timeframe=settings.MARKETDATA_TIMEFRAME,
        timestamp=datetime.now(tz=UTC).replace(second=0, microsecond=0) - timedelta(minutes=1),
        open=Decimal(10), high=Decimal(10), low=Decimal(10), close=Decimal(10),
        volume=Decimal(100), source="test", ingested_at=datetime.now(tz=UTC),
    )  # fmt: skip
    strategy = StrategyFactory(name="redis-restart-drill", instruments=[instrument])
    _expired(strategy, instrument, private_redis)  # the main process opens its connection
    before = _submit(strategy, instrument, private_redis, 0, 2)
    assert [r["status"] for r in before] == ["new", "new"]  # the worker cached this state

    with _bars_locked():
        in_flight = _send(strategy, instrument, private_redis, 50)
        deadline = time.monotonic() + TASK_TIMEOUT_S
        while in_flight.state != "STARTED" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert in_flight.state == "STARTED"
        private_redis.stop()  # while a task acknowledged late runs: its ack has no broker
    # It finishes (its cache calls may fail: Redis is down), acknowledged to no broker.
    in_flight.get(timeout=TASK_TIMEOUT_S, propagate=False)
    _drop_other_connections()
    kill_switch_engage(actor=operator, reason="engaged while Redis is down")
    private_redis.start()

    _expired(strategy, instrument, private_redis)

    decided = RiskDecision.objects.count()
    after = _submit(strategy, instrument, private_redis, 100, 4)
    assert worker_on.poll() is None, "the worker process exited"
    assert {r["status"] for r in after} == {"rejected"}
    reasons = [d.reasons[0]["code"] for d in RiskDecision.objects.order_by("id")[decided:]]
    assert reasons == ["kill_switch_engaged"] * 4
    token = KillSwitch.objects.get().state_version
    assert state_store.version_get() == token
    shared = redis.Redis(port=private_redis.port, db=1).get(f"tradingops:1:{state_store.CACHE_KEY}")
    assert shared is not None and token.encode() in shared  # the store was seeded again
