"""Backups that restore: a recorded ``dbbackup``, a restore drill, and their reads.

django-dbbackup does the work (``pg_dump``/``pg_restore`` on PostgreSQL, SQLite's online
backup API on SQLite; storage from ``STORAGES["dbbackup"]``). These services wrap its
commands so every run leaves a ``DatabaseBackup`` or ``RestoreDrill`` row with who, why and
the request ID, and an audit event; readiness, the collectors and the BackupStale alert read
the rows.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import environ
import structlog
from dbbackup.db.base import get_connector
from dbbackup.storage import get_storage
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
from django.db.utils import load_backend

from audit.services import audit_chain_verify, audit_event_append
from common.actors import actor_name, current_service_actor
from common.clock import SystemClock
from common.databases import database_vendor, scratch_database_drop, scratch_database_url
from common.request_context import current_request_id
from execution.choices import OrderStatus
from execution.models import Fill, Order
from operations.models import DatabaseBackup, RestoreDrill

logger = structlog.get_logger(__name__)
T = TypeVar("T")
# Backups are real processes against real storage: their times are wall-clock, never the
# (possibly simulated) market clock, so the age the alert and readiness compute is true.
wall_clock = SystemClock()
RESTORE_SUFFIX = "restore"


def _who() -> dict[str, str]:
    actor = current_service_actor()
    return {
        "actor_name": actor_name(actor),
        "request_id": current_request_id()[:64],
    }


def backup_storage_description() -> str:
    """Where backups go, for records and the runbook: a directory or an S3 URL."""
    if settings.BACKUP_STORAGE == "s3":
        options = settings.BACKUP_S3_OPTIONS
        return f"s3://{options['bucket_name']}/{options['location']}"
    return str(settings.BACKUP_DIR)


def _dbbackup() -> tuple[str, int]:
    """Run ``dbbackup --clean`` on the default database; the stored file's name and size.

    The name is chosen here (the connector's own pattern, with microseconds) so the record
    names exactly the file written; ``--clean`` then applies the retention (BACKUP_KEEP).
    """
    filename = get_connector(DEFAULT_DB_ALIAS).generate_filename()
    call_command(
        "dbbackup", database=DEFAULT_DB_ALIAS, output_filename=filename, clean=True, verbosity=0
    )
    return filename, get_storage().storage.size(filename)


def database_backup_create(*, reason: str = "") -> DatabaseBackup:
    """Back up the default database and record the run, successful or not.

    A failure is recorded and logged, not raised: the row, the metrics and the BackupStale
    alert are how people learn of it (a raised error would only reach a task result).
    """
    started_at = wall_clock.now()
    filename, size, error = "", None, ""
    try:
        filename, size = _dbbackup()
    except Exception as exc:  # any failure of pg_dump, the storage or the connector counts
        error = f"{type(exc).__name__}: {exc}"
        logger.exception("database_backup_failed")
    with transaction.atomic():
        backup = DatabaseBackup.objects.create(
            started_at=started_at,
            finished_at=wall_clock.now(),
            succeeded=not error,
            vendor=connection.vendor,
            filename=filename,
            storage=backup_storage_description(),
            size_bytes=size,
            error=error,
            reason=reason,
            **_who(),
        )
        audit_event_append(
            action="operations.database_backup",
            reason=reason,
            object_type="operations.databasebackup",
            object_id=backup.pk,
            object_repr=str(backup),
            payload={"filename": filename, "size_bytes": size, "error": error},
        )
    logger.info("database_backup", succeeded=not error, filename=filename, size_bytes=size)
    return backup


# --- restore drill ----------------------------------------------------------------------------


@dataclass
class DrillFindings:
    """What the checks found on the restored copy."""

    row_counts: dict[str, int] = field(default_factory=dict)
    audit_events_checked: int | None = None
    ledger_breaks: int | None = None
    problems: list[str] = field(default_factory=list)


def _on_database(url: str, work: Callable[[], T]) -> T:
    """Run ``work`` in a thread whose default database is ``url``.

    Django's connections are per thread, so inside it every service and selector (the
    audit chain verification, the ledger's reads, django-dbbackup's ``dbrestore``) works on
    the restored copy unchanged, while this thread keeps the live database.
    """
    config = connections.configure_settings({DEFAULT_DB_ALIAS: environ.Env.db_url_config(url)})[
        DEFAULT_DB_ALIAS
    ]

    def run() -> T:
        wrapper = load_backend(config["ENGINE"]).DatabaseWrapper(config, DEFAULT_DB_ALIAS)
        connections[DEFAULT_DB_ALIAS] = wrapper
        try:
            return work()
        finally:
            wrapper.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def _row_counts(findings: DrillFindings) -> None:
    """Every table of every installed model is there and readable."""
    for model in apps.get_models(include_auto_created=True):
        if not model._meta.managed or model._meta.proxy:
            continue
        table = model._meta.db_table
        try:
            findings.row_counts[table] = model._base_manager.using(DEFAULT_DB_ALIAS).count()
        except DatabaseError as exc:
            findings.problems.append(f"table {table} unreadable: {exc}")
            connection.close()  # a failed statement may leave the connection unusable
    if not sum(findings.row_counts.values()):
        findings.problems.append("the restored database holds no rows")


def _audit_chain(findings: DrillFindings) -> None:
    """The same verification ``manage.py verify_audit_chain`` runs (its record stays in the
    scratch copy)."""
    verification = audit_chain_verify()
    findings.audit_events_checked = verification.events_checked
    if not verification.valid:
        findings.problems.append(
            f"audit chain broken at #{verification.broken_sequence}: {verification.problem}"
        )


def _ledger(findings: DrillFindings) -> None:
    """Each order's filled quantity equals the sum of its fills, and a filled order's fills
    sum to its quantity. Summed here in Decimal, since SQLite sums decimals as floats."""
    fills: dict[int, Decimal] = defaultdict(Decimal)
    for order_id, quantity in Fill.objects.values_list("order_id", "quantity").iterator():
        fills[order_id] += quantity
    breaks = []
    orders = Order.objects.values_list(
        "pk", "client_order_id", "quantity", "status", "filled_quantity"
    )
    for pk, client_order_id, quantity, status, filled in orders.iterator():
        if filled != fills[pk] or (status == OrderStatus.FILLED and fills[pk] != quantity):
            breaks.append(f"{client_order_id}: {status}, filled {filled}, fills sum {fills[pk]}")
    findings.ledger_breaks = len(breaks)
    findings.problems += [f"ledger break: {text}" for text in breaks[:20]]


def _restore_and_check(filename: str) -> DrillFindings:
    """In the scratch thread: restore with django-dbbackup's command, then check the copy."""
    call_command(
        "dbrestore", database=DEFAULT_DB_ALIAS, input_filename=filename, interactive=False,
        verbosity=0,
    )  # fmt: skip
    findings = DrillFindings()
    _row_counts(findings)
    for check in (_audit_chain, _ledger):
        try:
            check(findings)
        except DatabaseError as exc:
            findings.problems.append(f"{check.__name__.strip('_')} check failed: {exc}")
    return findings


def _drill(backup: DatabaseBackup) -> tuple[str, DrillFindings]:
    """A fresh scratch database of the configured kind, the restore and checks, the drop."""
    with tempfile.TemporaryDirectory(dir=settings.VAR_DIR, prefix="restore-drill-") as scratch:
        url = scratch_database_url(var_dir=Path(scratch), suffix=RESTORE_SUFFIX)
        name = environ.Env.db_url_config(url)["NAME"]
        try:
            return name, _on_database(url, lambda: _restore_and_check(backup.filename))
        finally:
            if database_vendor() == "postgresql":
                scratch_database_drop(url)


def restore_drill_run(*, reason: str = "") -> RestoreDrill:
    """Restore the newest successful backup into a scratch database and check the copy.

    1. Take the newest successful ``DatabaseBackup`` (none: the drill fails, saying so).
    2. Create an empty scratch database like the configured one (``<name>_restore`` on
       PostgreSQL, a file under the var dir on SQLite).
    3. There, run ``dbrestore`` on the backup's file, count every table's rows, verify the
       audit hash chain and check the ledger (see ``_ledger``).
    4. Drop the scratch database; record the outcome with who, why and the request ID.
    """
    started_at = wall_clock.now()
    backup = database_backup_last_success()
    name, findings = "", DrillFindings()
    if backup is None:
        findings.problems.append("no successful backup to restore")
    else:
        try:
            name, findings = _drill(backup)
        except Exception as exc:  # a restore that fails is the finding, not a crash
            logger.exception("restore_drill_failed", filename=backup.filename)
            findings.problems.append(f"restore failed: {type(exc).__name__}: {exc}")
    return _drill_record(backup, started_at, name, findings, reason)


@transaction.atomic
def _drill_record(
    backup: DatabaseBackup | None,
    started_at: datetime,
    scratch_database: str,
    findings: DrillFindings,
    reason: str,
) -> RestoreDrill:
    drill = RestoreDrill.objects.create(
        started_at=started_at,
        finished_at=wall_clock.now(),
        passed=not findings.problems,
        backup=backup,
        filename=backup.filename if backup else "",
        scratch_database=scratch_database,
        row_counts=findings.row_counts,
        audit_events_checked=findings.audit_events_checked,
        ledger_breaks=findings.ledger_breaks,
        problems=findings.problems,
        reason=reason,
        **_who(),
    )
    payload: dict[str, Any] = {"filename": drill.filename, "problems": findings.problems}
    audit_event_append(
        action="operations.restore_drill",
        reason=reason,
        object_type="operations.restoredrill",
        object_id=drill.pk,
        object_repr=str(drill),
        payload=payload,
    )
    logger.info("restore_drill", passed=drill.passed, filename=drill.filename)
    return drill


# --- reads --------------------------------------------------------------------------------------


def database_backup_last_success() -> DatabaseBackup | None:
    return DatabaseBackup.objects.filter(succeeded=True).order_by("-finished_at", "-id").first()


def restore_drill_last_success() -> RestoreDrill | None:
    return RestoreDrill.objects.filter(passed=True).order_by("-finished_at", "-id").first()
