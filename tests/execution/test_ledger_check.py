"""The ledger check against real rows: breaks stored once, resolved after repair, counted,
halting under the halt policy; and ``manage.py ledger_check``."""

from __future__ import annotations

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from prometheus_client import REGISTRY

from audit.models import AuditEvent
from execution.models import Order, Position, ReconciliationBreak, ReconciliationRun
from execution.services import ledger_check, order_update_apply, reconciliation_run
from execution.services.orders import remote_order_update
from risk.models import RiskAction, TradingStateSetting

pytestmark = pytest.mark.django_db


@pytest.fixture
def traded(sent_order, memory_broker):
    """Orders booked through the one update service: ``make("ord-1", fills=[...])``."""

    def make(client_order_id="ord-1", *, side="buy", quantity="10", fills=(), symbol_index=0):
        order, remote = sent_order(client_order_id, side=side, quantity=quantity,
                                   symbol_index=symbol_index)  # fmt: skip
        order_update_apply(update=remote_order_update(remote, source="submit"))
        for fill_quantity, price in fills:
            order_update_apply(update=memory_broker.execute(client_order_id, fill_quantity, price))
        order.refresh_from_db()
        return order

    return make


def _breaks_total() -> float:
    sample = REGISTRY.get_sample_value(
        "tradingops_execution_reconciliation_breaks_total", {"kind": "ledger"}
    )
    return sample or 0.0


def test_books_kept_by_the_update_service_have_no_ledger_break(traded):
    traded("ord-1", fills=[("4", "100"), ("6", "101")])
    traded("ord-2", side="sell", quantity="3", fills=[("3", "50")], symbol_index=1)
    traded("ord-3")

    report = ledger_check(request_id="req-clean")

    assert report.as_dict() | {"run": None} == {
        "ledger_breaks": 0, "breaks": [], "orders_checked": 3, "positions_checked": 2,
        "breaks_resolved": 0, "run": None, "request_id": "req-clean",
    }  # fmt: skip
    run = ReconciliationRun.objects.get(pk=report.run_id)
    assert (run.broker, run.succeeded, run.breaks_found) == ("ledger", True, 0)
    assert not ReconciliationBreak.objects.exists()


def test_an_order_marked_filled_without_its_fills_is_stored_once_and_resolved_after_repair(
    traded,
):
    order = traded("ord-1")
    Order.objects.filter(pk=order.pk).update(status="filled")  # the lost fill
    counted = _breaks_total()

    first = ledger_check(request_id="req-1")
    second = ledger_check(request_id="req-2")

    assert first.as_dict()["breaks"] == [
        {
            "check": "order_status", "subject": "ord-1", "expected": "10.000000",
            "actual": "0", "detail": "filled, but its fills sum to 0 of 10.000000",
        }
    ]  # fmt: skip
    assert second.as_dict()["ledger_breaks"] == 1
    record = ReconciliationBreak.objects.get()
    assert (record.kind, record.status, record.fingerprint) == (
        "ledger", "open", "ledger:order_status:ord-1"
    )  # fmt: skip
    assert (record.order, record.strategy, record.client_order_id) == (
        order, order.strategy, "ord-1"
    )  # fmt: skip
    assert (record.expected, record.actual, record.request_id) == (Decimal(10), 0, "req-1")
    assert _breaks_total() == counted + 1

    Order.objects.filter(pk=order.pk).update(status="new")  # repaired
    repaired = ledger_check(request_id="req-3")

    record.refresh_from_db()
    assert (repaired.as_dict()["ledger_breaks"], repaired.breaks_resolved) == (0, 1)
    assert (record.status, record.resolved_by, record.resolved_by_name) == (
        "resolved", None, "ledger_check"
    )  # fmt: skip
    assert record.resolution_request_id == "req-3"
    assert record.resolution_reason == f"no longer found by ledger check run {repaired.run_id}"
    audit = AuditEvent.objects.get(action="execution.break_resolved")
    assert (audit.request_id, audit.reason) == ("req-3", record.resolution_reason)


def test_a_break_of_the_broker_reconciliation_is_not_resolved_by_the_ledger_check(
    traded, memory_broker
):
    memory_broker.plant_order("placed-by-hand", "MSFT")
    reconciliation_run(broker=memory_broker)

    ledger_check()

    assert ReconciliationBreak.objects.get().status == "open"


def test_with_the_halt_policy_a_position_break_halts_its_strategy_as_the_ledger_check(
    traded, settings
):
    settings.RECONCILIATION_POLICY = "halt"
    order = traded("ord-1", fills=[("10", "100")])
    Position.objects.filter(strategy=order.strategy).update(quantity=Decimal(7))

    report = ledger_check(request_id="req-halt")
    ledger_check(request_id="req-again")

    record = ReconciliationBreak.objects.get()
    assert (record.fingerprint, record.strategy, record.symbol) == (
        f"ledger:position_quantity:{order.strategy.name}/AAPL", order.strategy, "AAPL"
    )  # fmt: skip
    assert (record.expected, record.actual) == (Decimal(10), Decimal(7))
    state = TradingStateSetting.objects.get(scope="strategy", key=order.strategy.name)
    assert state.state == "HALTED"
    (action,) = RiskAction.objects.filter(action="trading_state_change")
    assert (action.actor_name, action.request_id, action.actor) == (
        "ledger_check", report.request_id, None
    )  # fmt: skip
    assert "position_quantity" in action.reason


def test_with_the_alert_policy_a_break_halts_nothing(traded, settings):
    settings.RECONCILIATION_POLICY = "alert"
    order = traded("ord-1", fills=[("10", "100")])
    Order.objects.filter(pk=order.pk).update(filled_quantity=Decimal(4))

    assert ledger_check().as_dict()["ledger_breaks"] == 1
    assert not TradingStateSetting.objects.filter(state="HALTED").exists()


def test_the_books_load_in_the_same_number_of_queries_for_any_number_of_orders(
    traded, django_assert_max_num_queries
):
    traded("ord-1", fills=[("10", "100")])
    with django_assert_max_num_queries(100) as few:
        ledger_check()
    for index in range(2, 8):
        traded(f"ord-{index}", fills=[("1", "100")], symbol_index=index % 3)

    with django_assert_max_num_queries(len(few.captured_queries)):
        ledger_check()


def test_the_command_prints_json_last_and_exits_0_on_clean_books(traded):
    traded("ord-1", fills=[("10", "100")])
    out = StringIO()

    call_command("ledger_check", "--json", stdout=out)

    body = json.loads(out.getvalue().splitlines()[-1])
    assert (body["ledger_breaks"], body["breaks"]) == (0, [])
    assert (body["orders_checked"], body["positions_checked"]) == (1, 1)


def test_the_command_exits_1_and_lists_each_break(traded):
    order = traded("ord-1")
    Order.objects.filter(pk=order.pk).update(status="filled")
    out = StringIO()

    with pytest.raises(SystemExit) as exited:
        call_command("ledger_check", "--json", stdout=out)

    assert exited.value.code == 1
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("BREAK order_status ord-1: filled, but its fills sum to 0")
    body = json.loads(lines[-1])
    assert body["ledger_breaks"] == 1
    assert [item["check"] for item in body["breaks"]] == ["order_status"]
