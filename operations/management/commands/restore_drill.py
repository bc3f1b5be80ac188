from __future__ import annotations

import json

from django.core.management.base import CommandError, CommandParser

from common.actors import AuditedCommand
from operations.backups import restore_drill_run


class Command(AuditedCommand):
    help = (
        "Restore the newest successful backup into a scratch database and check it (row "
        "counts, audit chain, ledger); exits non-zero when the drill fails."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--reason", default="", help="why the drill is run now")
        parser.add_argument("--json", action="store_true", help="print the outcome as JSON")

    def handle(self, *args: object, **options: object) -> None:
        drill = restore_drill_run(reason=str(options["reason"]))
        outcome = {
            "drill": drill.pk,
            "passed": drill.passed,
            "filename": drill.filename,
            "scratch_database": drill.scratch_database,
            "tables": len(drill.row_counts),
            "rows": sum(drill.row_counts.values()),
            "audit_events_checked": drill.audit_events_checked,
            "ledger_breaks": drill.ledger_breaks,
            "problems": drill.problems,
        }
        if options["json"]:
            self.stdout.write(json.dumps(outcome, indent=2))
        if not drill.passed:
            raise CommandError(f"Restore drill #{drill.pk} failed: {'; '.join(drill.problems)}")
        if not options["json"]:
            self.stdout.write(
                f"Restore drill #{drill.pk} passed: {drill.filename} restored into "
                f"{drill.scratch_database}, {outcome['rows']} rows in {outcome['tables']} "
                f"tables, {drill.audit_events_checked} audit events verified, "
                f"{drill.ledger_breaks} ledger breaks"
            )
