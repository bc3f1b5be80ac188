from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from execution.services import ledger_check


class Command(BaseCommand):
    help = (
        "Check the books against their own fills (filled quantities, statuses, positions, "
        "cash); store each break as a reconciliation break of kind ledger. Exits 1 when any "
        "break holds, 0 otherwise."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--json", action="store_true", help="end with one JSON object on the last line"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = ledger_check().as_dict()
        for item in report["breaks"]:
            self.stdout.write(
                f"BREAK {item['check']} {item['subject']}: {item['detail']} "
                f"(expected {item['expected']}, actual {item['actual']})"
            )
        self.stdout.write(
            f"ledger check: {report['ledger_breaks']} break(s) in {report['orders_checked']} "
            f"orders and {report['positions_checked']} positions"
        )
        if options["json"]:
            self.stdout.write(json.dumps(report, sort_keys=True))
        if report["ledger_breaks"]:
            raise SystemExit(1)
