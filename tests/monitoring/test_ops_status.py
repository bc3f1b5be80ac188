from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from execution.models import Order
from execution.services import trading_cycle_run
from operations.schedule import periodic_tasks_setup
from risk.services import kill_switch_engage

pytestmark = pytest.mark.django_db


def _ops_status(capsys) -> dict:
    capsys.readouterr()
    call_command("ops_status", "--json")
    return json.loads(capsys.readouterr().out)


def test_ops_status_prints_one_json_object_describing_the_loop(
    strategy, next_bar, operator, capsys
):
    trading_cycle_run()
    next_bar()
    trading_cycle_run()
    kill_switch_engage(actor=operator, reason="end of test day")
    periodic_tasks_setup()

    status = _ops_status(capsys)

    assert status["instruments"] == 3
    assert status["bars"] == 3 * 401
    assert status["signals"] == 6
    filled = Order.objects.filter(status="filled").count()
    assert filled > 0
    assert status["orders_by_status"].get("filled") == filled
    assert status["fills"] == filled
    assert status["open_positions"] >= 1
    assert "realized_pnl" in status and "unrealized_pnl" in status
    assert status["kill_switch"]["engaged"] is True
    assert status["kill_switch"]["reason"] == "end of test day"
    assert [t["name"] for t in status["periodic_tasks"]] == [
        "build-dataset",
        "database-backup",
        "drift-reports",
        "expire-risk-overrides",
        "ingest-bars",
        "ledger-check",
        "poll-order-updates",
        "predict-and-trade",
        "reconcile-broker",
        "restore-drill",
        "staging-run-report",
        "verify-audit-chain",
    ]
    assert all(t["last_outcome"] is None for t in status["periodic_tasks"])
