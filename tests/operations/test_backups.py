"""Backups that restore: django-dbbackup backs up the database the suite runs on (SQLite or
PostgreSQL), the drill restores it into an empty scratch database and checks the copy; the
metrics and readiness read the records."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import dbbackup.settings
import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from audit.models import AuditEvent
from audit.services import audit_event_append
from execution.choices import OrderSide, OrderStatus
from execution.models import Fill, Order
from marketdata.models import Instrument
from monitoring.collectors import DatabaseStateCollector
from operations.backups import (
    database_backup_create,
    restore_drill_run,
    wall_clock,
)
from operations.models import DatabaseBackup, RestoreDrill
from operations.readiness import check_run
from tests.execution.factories import StrategyFactory

# pg_dump runs in a process of its own: what it backs up must be committed.
dumps = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def backup_dir(monkeypatch, settings, tmp_path):
    """Each test's backups in its own directory (django-dbbackup reads its storage options at
    import, so the test points them here)."""
    directory = tmp_path / "backups"
    settings.BACKUP_DIR = directory
    monkeypatch.setattr(dbbackup.settings, "STORAGE_OPTIONS", {"location": str(directory)})
    return directory


def _order(strategy, instrument, n: int, *, quantity: str, filled: str, status: str) -> Order:
    return Order.objects.create(
        client_order_id=f"seed-{n}",
        strategy=strategy,
        instrument=instrument,
        side=OrderSide.BUY,
        quantity=Decimal(quantity),
        reference_price=Decimal("100"),
        bar_timestamp=wall_clock.now(),
        status=status,
        filled_quantity=Decimal(filled),
    )


def _seed() -> None:
    """Orders with their fills, and audit events chained on them."""
    instrument = Instrument.objects.create(symbol="AAPL", name="Apple Inc.")
    strategy = StrategyFactory(instruments=[instrument])
    for n in range(3):
        order = _order(strategy, instrument, n, quantity="5", filled="5", status=OrderStatus.FILLED)
        for part in range(2):
            Fill.objects.create(
                order=order,
                broker_fill_id=f"fill-{n}-{part}",
                quantity=Decimal("2.5"),
                price=Decimal("100.25"),
                filled_at=wall_clock.now(),
            )
        audit_event_append(action="test.seeded", object_type="execution.order", object_id=n)


def _row_counts() -> dict[str, int]:
    return {
        model._meta.db_table: model._base_manager.count()
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }


@dumps
def test_a_backup_of_a_seeded_database_restores_into_an_empty_one_with_its_rows_chain_and_ledger(
    backup_dir,
):
    _seed()
    before = _row_counts()

    backup = database_backup_create(reason="before the drill")

    assert backup.succeeded, backup.error
    assert backup.vendor == connection.vendor
    assert (backup_dir / backup.filename).stat().st_size == backup.size_bytes > 0
    assert AuditEvent.objects.filter(
        action="operations.database_backup", object_id=str(backup.pk), reason="before the drill"
    ).exists()

    drill = restore_drill_run(reason="weekly drill")

    assert drill.passed, drill.problems
    assert (drill.backup_id, drill.filename) == (backup.pk, backup.filename)
    # The copy holds exactly what the database held when it was backed up.
    assert drill.row_counts == before
    assert drill.row_counts["execution_fill"] == 6
    assert drill.audit_events_checked == before[AuditEvent._meta.db_table] >= 3
    assert drill.ledger_breaks == 0
    assert drill.scratch_database
    assert AuditEvent.objects.filter(action="operations.restore_drill", reason="weekly drill")
    # The drill leaves no scratch database behind on PostgreSQL.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_database WHERE datname = %s", [drill.scratch_database]
            )
            assert cursor.fetchone()[0] == 0


@dumps
def test_the_drill_fails_on_a_backup_whose_ledger_and_audit_chain_are_broken():
    _seed()
    instrument, strategy = Instrument.objects.get(), Order.objects.first().strategy
    _order(strategy, instrument, 99, quantity="4", filled="4", status=OrderStatus.FILLED)
    with connection.cursor() as cursor:  # tampering outside the application, as an attacker
        table = connection.ops.quote_name(AuditEvent._meta.db_table)
        cursor.execute(f"UPDATE {table} SET reason = 'forged' WHERE sequence = 2")  # noqa: S608
    database_backup_create()

    drill = restore_drill_run()

    assert not drill.passed
    assert drill.ledger_breaks == 1
    problems = " ".join(drill.problems)
    assert "seed-99" in problems
    assert "audit chain broken at #2" in problems
    assert RestoreDrill.objects.filter(passed=True).count() == 0


@dumps
def test_the_drill_without_any_backup_fails_and_its_command_says_why():
    with pytest.raises(CommandError, match="no successful backup to restore"):
        call_command("restore_drill")

    drill = RestoreDrill.objects.get()
    assert not drill.passed
    assert drill.actor_name == "command:restore_drill"


@dumps
def test_a_failed_backup_is_recorded_and_the_command_exits_non_zero(monkeypatch):
    monkeypatch.setattr(dbbackup.settings, "STORAGE_OPTIONS", {"location": "/proc/no-backups-here"})

    with pytest.raises(CommandError, match="Backup failed"):
        call_command("backup_database", "--reason", "by hand")

    backup = DatabaseBackup.objects.get()
    assert (backup.succeeded, backup.filename, backup.reason) == (False, "", "by hand")
    assert backup.error
    assert backup.actor_name == "command:backup_database"


def _backup_row(*, hours_ago: float, succeeded: bool = True, size: int = 1234) -> DatabaseBackup:
    finished = wall_clock.now() - timedelta(hours=hours_ago)
    return DatabaseBackup.objects.create(
        started_at=finished,
        finished_at=finished,
        succeeded=succeeded,
        vendor=connection.vendor,
        filename=f"default-tradingops-{hours_ago}.sqlite3" if succeeded else "",
        size_bytes=size if succeeded else None,
        actor_name="test",
    )


def _drill_row(*, days_ago: float, passed: bool = True) -> RestoreDrill:
    finished = wall_clock.now() - timedelta(days=days_ago)
    return RestoreDrill.objects.create(
        started_at=finished, finished_at=finished, passed=passed, actor_name="test"
    )


@pytest.mark.django_db
def test_readiness_needs_a_recent_backup_and_a_recent_passed_restore_drill(settings):
    never = check_run("backups_recent")
    _backup_row(hours_ago=settings.OPERATIONS_BACKUP_MAX_AGE_HOURS + 1)
    old = check_run("backups_recent")
    _backup_row(hours_ago=2)
    _backup_row(hours_ago=1, succeeded=False)
    undrilled = check_run("backups_recent")
    _drill_row(days_ago=settings.OPERATIONS_RESTORE_DRILL_MAX_AGE_DAYS + 1)
    _drill_row(days_ago=0.5, passed=False)
    stale_drill = check_run("backups_recent")
    _drill_row(days_ago=1)
    ready = check_run("backups_recent")

    assert (never.status, old.status, undrilled.status) == ("fail", "fail", "fail")
    assert "no successful backup" in never.evidence
    assert "limit" in old.evidence
    assert "no passed restore drill" in undrilled.evidence
    assert (stale_drill.status, ready.status) == ("fail", "pass")
    assert "default-tradingops-2" in ready.evidence


def _gauges() -> dict[str, float]:
    return {
        sample.name: sample.value
        for family in DatabaseStateCollector().collect()
        if family.name.startswith("tradingops_backup")
        for sample in family.samples
    }


@pytest.mark.django_db
def test_the_metrics_show_the_last_successful_backup_and_drill_and_zero_before_any():
    assert _gauges() == {"tradingops_backup_last_success_timestamp_seconds": 0.0}
    good = _backup_row(hours_ago=3, size=4096)
    _backup_row(hours_ago=1, succeeded=False)
    drill = _drill_row(days_ago=2)

    gauges = _gauges()

    assert gauges["tradingops_backup_last_success_timestamp_seconds"] == (
        good.finished_at.timestamp()
    )
    assert gauges["tradingops_backup_last_size_bytes"] == 4096
    assert gauges["tradingops_backup_restore_drill_last_success_timestamp_seconds"] == (
        drill.finished_at.timestamp()
    )
