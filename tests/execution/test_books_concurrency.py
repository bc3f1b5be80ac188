"""The books hold whatever the interleaving: two pollers, a stream and ingest at once.

Each actor is its own process (tests/execution/books_race.py) on one database, as web, worker
and beat are in `make run`: on SQLite a file copied from the migrated test database (so the
processes share it through SQLite's own locking), on PostgreSQL the test database itself.
At the end every order is filled with exactly its fills, every position is the signed sum of
its fills, and `manage.py ledger_check` finds no break.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from execution.models import Order
from tests.execution.factories import StrategyFactory
from tests.marketdata.factories import BarFactory

# serialized_rollback, as every transactional test here: a plain flush re-creates content
# types, which would clash with the serialized data the next such test loads.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
ORDERS = 24
RACE_SECONDS = 60


def _database_url(tmp_path: Path) -> str:
    """A URL the actor processes can open on the data this test wrote."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3":
        # The test database lives in this process's memory: hand the others a file copy.
        target = tmp_path / "books.sqlite3"
        connection.ensure_connection()
        with sqlite3.connect(target) as copy:
            connection.connection.backup(copy)
        return f"sqlite:///{target}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _orders(instruments) -> None:
    """Orders working at the paper broker, decided on bars of different ages, so fills land
    out of time order across instruments."""
    desks = [StrategyFactory(name=f"race-{n}", instruments=instruments) for n in range(2)]
    for instrument in instruments:
        BarFactory(instrument=instrument, timestamp=T0)
    for n in range(ORDERS):
        Order.objects.create(
            client_order_id=f"race-{n:02d}",
            strategy=desks[n % 2],
            instrument=instruments[n % len(instruments)],
            side="buy" if n % 3 else "sell",
            quantity=Decimal(1 + n % 7),
            reference_price=Decimal("100"),
            bar_timestamp=T0 + timedelta(minutes=n % 5) - timedelta(minutes=1),
            broker="paper",
            broker_order_id=f"paper-race-{n:02d}",
            status="new",
            submitted_at=T0,
        )


def _run(role: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.execution.books_race", role, str(RACE_SECONDS)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def test_two_pollers_a_stream_and_ingest_at_once_keep_every_fill(instruments, tmp_path):
    _orders(instruments)
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(tmp_path),
        "EXECUTION_BROKER": "paper",
        "TRADINGOPS_VAR_DIR": str(tmp_path / "var"),
    }
    actors = [_run(role, env) for role in ("poll", "poll", "stream", "ingest")]
    for actor in actors:
        _out, err = actor.communicate(timeout=RACE_SECONDS + 60)
        assert actor.returncode == 0, err[-3000:]

    summary = subprocess.run(
        [sys.executable, "-m", "tests.execution.books_race", "summary", "0"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    books = json.loads(summary.stdout.strip().splitlines()[-1])
    assert len(books["orders"]) == ORDERS
    for order in books["orders"]:
        assert order["status"] == "filled", order
        assert Decimal(order["filled_quantity"]) == Decimal(order["quantity"]), order
        assert Decimal(order["fills_sum"]) == Decimal(order["filled_quantity"]), order
        assert order["fills"] == 1, order
    positions = {key: Decimal(value) for key, value in books["positions"].items()}
    signed = {key: Decimal(value) for key, value in books["signed_fills"].items()}
    assert positions == signed

    check = subprocess.run(
        [sys.executable, "manage.py", "ledger_check", "--json"],
        cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE": "tradingops.settings.test"},
        capture_output=True, text=True,
    )  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr
    assert json.loads(check.stdout.strip().splitlines()[-1])["ledger_breaks"] == 0
