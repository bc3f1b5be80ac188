from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from django.db import IntegrityError

from audit.models import AuditEvent
from common.exceptions import PermissionRefused, ValidationFailed
from execution.models import ReconciliationBreak, ReconciliationRun
from execution.services import order_update_apply, reconciliation_break_resolve, reconciliation_run
from execution.services.orders import remote_order_update
from risk.models import RiskAction, TradingStateSetting

pytestmark = pytest.mark.django_db


@pytest.fixture
def working(sent_order, memory_broker):
    """An order acknowledged here and at the broker."""

    def make(client_order_id="ord-1", **kwargs):
        order, remote = sent_order(client_order_id, **kwargs)
        order_update_apply(update=remote_order_update(remote, source="submit"))
        order.refresh_from_db()
        return order

    return make


def _breaks(**filters) -> list[tuple[str, str]]:
    return sorted(ReconciliationBreak.objects.filter(**filters).values_list("kind", "fingerprint"))


def test_books_that_agree_with_the_broker_give_a_clean_run(working, memory_broker, settings):
    settings.PAPER_ACCOUNT_CAPITAL = memory_broker.cash
    working()

    run = reconciliation_run(broker=memory_broker, request_id="req-clean")

    assert run.succeeded is True and run.breaks_found == 0
    assert (run.orders_checked, run.request_id) == (2, "req-clean")
    assert not ReconciliationBreak.objects.exists()


def test_an_orphan_a_ghost_and_a_position_difference_are_each_a_break(
    working, memory_broker, settings
):
    settings.PAPER_ACCOUNT_CAPITAL = memory_broker.cash
    working("ghost")
    memory_broker.forget("ghost")
    orphan = memory_broker.plant_order("placed-by-hand", "MSFT", quantity="3")
    memory_broker.planted_positions["SPY"] = Decimal("7")

    run = reconciliation_run(broker=memory_broker, request_id="req-1")

    assert _breaks() == [
        ("ghost_order", "ghost_order:ghost"),
        ("orphan_order", f"orphan_order:{orphan.broker_order_id}"),
        ("position_quantity", "position_quantity:SPY"),
    ]
    position = ReconciliationBreak.objects.get(kind="position_quantity")
    assert (position.expected, position.actual, position.symbol) == (0, Decimal("7"), "SPY")
    ghost = ReconciliationBreak.objects.get(kind="ghost_order")
    assert ghost.order.client_order_id == "ghost" and ghost.strategy is not None
    assert {b.request_id for b in ReconciliationBreak.objects.all()} == {"req-1"}
    assert run.breaks_found == 3


def test_a_repeated_run_does_not_duplicate_an_open_break(memory_broker, db):
    memory_broker.plant_order("placed-by-hand", "MSFT")

    reconciliation_run(broker=memory_broker)
    reconciliation_run(broker=memory_broker)

    assert ReconciliationRun.objects.count() == 2
    assert ReconciliationBreak.objects.filter(kind="orphan_order").count() == 1


def test_a_cash_difference_beyond_the_tolerance_is_a_break(memory_broker, settings, db):
    settings.PAPER_ACCOUNT_CAPITAL = memory_broker.cash - Decimal("0.005")
    reconciliation_run(broker=memory_broker)
    assert not ReconciliationBreak.objects.exists()

    memory_broker.cash += Decimal("250")
    reconciliation_run(broker=memory_broker)

    cash = ReconciliationBreak.objects.get(kind="cash")
    assert cash.actual - cash.expected == Decimal("250.005")


def test_an_order_closed_at_the_broker_without_our_hearing_is_healed_not_a_break(
    working, memory_broker, settings
):
    settings.PAPER_ACCOUNT_CAPITAL = memory_broker.cash
    order = working()
    memory_broker.cancel(order.broker_order_id)

    run = reconciliation_run(broker=memory_broker)

    order.refresh_from_db()
    assert order.status == "canceled"
    assert run.orders_healed == 1
    assert not ReconciliationBreak.objects.exists()
    assert order.events.filter(source="reconciliation", to_status="canceled").exists()


def test_an_order_final_here_but_open_at_the_broker_is_a_status_break(
    working, memory_broker, settings
):
    settings.PAPER_ACCOUNT_CAPITAL = memory_broker.cash
    order = working()
    remote = memory_broker.order_by_client_id("ord-1")
    order_update_apply(
        update=remote_order_update(replace(remote, status="canceled"), source="stream")
    )

    reconciliation_run(broker=memory_broker)

    (status_break,) = ReconciliationBreak.objects.filter(kind="order_status")
    assert status_break.detail == "canceled here, new at the broker"
    assert status_break.order == order


def test_with_the_halt_policy_a_break_halts_its_strategy_as_reconciliation(
    working, memory_broker, settings
):
    settings.PAPER_ACCOUNT_CAPITAL = memory_broker.cash
    settings.RECONCILIATION_POLICY = "halt"
    order = working("ghost")
    memory_broker.forget("ghost")

    reconciliation_run(broker=memory_broker, request_id="req-halt")
    reconciliation_run(broker=memory_broker, request_id="req-again")

    state = TradingStateSetting.objects.get(scope="strategy", key=order.strategy.name)
    assert state.state == "HALTED"
    (audit,) = RiskAction.objects.filter(action="trading_state_change")
    assert (audit.actor_name, audit.request_id, audit.actor) == ("reconciliation", "req-halt", None)
    assert "ghost" in audit.reason.lower()


def test_with_the_halt_policy_a_break_without_a_strategy_halts_the_desk(
    memory_broker, settings, db
):
    settings.RECONCILIATION_POLICY = "halt"
    memory_broker.plant_order("placed-by-hand", "MSFT")

    reconciliation_run(broker=memory_broker)

    assert TradingStateSetting.objects.get(scope="global", key="").state == "HALTED"


def test_with_the_alert_policy_nothing_is_halted(memory_broker, settings, db):
    settings.RECONCILIATION_POLICY = "alert"
    memory_broker.plant_order("placed-by-hand", "MSFT")

    reconciliation_run(broker=memory_broker)

    assert not TradingStateSetting.objects.filter(state="HALTED").exists()


def test_a_broker_failure_marks_the_run_failed_without_breaks(memory_broker, db):
    def unavailable():
        from execution.brokers.contract import BrokerUnavailable

        raise BrokerUnavailable("503 from the broker", status=503)

    memory_broker.open_orders = unavailable

    run = reconciliation_run(broker=memory_broker)

    assert run.succeeded is False and "503" in run.error
    assert not ReconciliationBreak.objects.exists()


@pytest.fixture
def resolver(django_user_model):
    from tests.conftest import user_with_permissions

    return user_with_permissions(django_user_model, "rosa", "execution.resolve_reconciliationbreak")


def test_an_operator_resolves_a_break_with_a_reason_recorded_with_who_when_and_request(
    memory_broker, resolver, frozen_clock, db
):
    memory_broker.plant_order("placed-by-hand", "MSFT")
    reconciliation_run(broker=memory_broker)
    record = ReconciliationBreak.objects.get()

    reconciliation_break_resolve(
        break_id=record.pk, actor=resolver, reason="cancelled at the broker", request_id="req-9"
    )

    record.refresh_from_db()
    assert record.status == "resolved"
    assert (record.resolved_by, record.resolved_by_name) == (resolver, "rosa")
    assert record.resolved_at == frozen_clock.now()
    assert (record.resolution_reason, record.resolution_request_id) == (
        "cancelled at the broker",
        "req-9",
    )
    detected, resolved = AuditEvent.objects.filter(
        object_type="execution.reconciliationbreak", object_id=str(record.pk)
    ).order_by("sequence")
    assert (detected.action, resolved.action) == (
        "execution.break_detected",
        "execution.break_resolved",
    )
    assert (resolved.actor_name, resolved.reason, resolved.request_id) == (
        "rosa",
        "cancelled at the broker",
        "req-9",
    )
    # Resolved, the same discrepancy found again is a new break.
    reconciliation_run(broker=memory_broker)
    assert ReconciliationBreak.objects.filter(status="open").count() == 1


def test_resolving_needs_the_permission_and_a_reason(memory_broker, outsider, resolver, db):
    memory_broker.plant_order("placed-by-hand", "MSFT")
    reconciliation_run(broker=memory_broker)
    record = ReconciliationBreak.objects.get()

    with pytest.raises(PermissionRefused):
        reconciliation_break_resolve(break_id=record.pk, actor=outsider, reason="looks fine")
    with pytest.raises(ValidationFailed, match="reason"):
        reconciliation_break_resolve(break_id=record.pk, actor=resolver, reason="  ")

    record.refresh_from_db()
    assert record.status == "open" and record.resolved_by is None


def test_a_break_is_immutable_except_its_resolution(memory_broker, db):
    memory_broker.plant_order("placed-by-hand", "MSFT")
    reconciliation_run(broker=memory_broker)
    record = ReconciliationBreak.objects.get()

    record.actual = Decimal("0")
    with pytest.raises(ValueError, match="immutable"):
        record.save()
    with pytest.raises(IntegrityError):
        ReconciliationBreak.objects.filter(pk=record.pk).update(status="resolved")
