from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandParser

from operations.readiness import (
    blocking_items,
    live_trading_requested,
    readiness_evaluate,
    readiness_items_load,
)


class Command(BaseCommand):
    help = (
        "Run the production-readiness checklist (automatic checks against the live system) "
        "and print it. Exits 1 when a required item does not pass (fail or unknown)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: object, **options: object) -> None:
        readiness_items_load()
        items = readiness_evaluate()
        blocking = blocking_items(items)
        rows = [
            {
                "key": i.key,
                "category": i.category,
                "title": i.title,
                "owner": i.owner,
                "required": i.required,
                "status": i.status,
                "evidence": i.evidence,
                "check_key": i.check_key,
                "last_checked_at": i.last_checked_at.isoformat() if i.last_checked_at else None,
            }
            for i in items
        ]
        if options["json"]:
            body = {
                "ready": not blocking,
                "live_requested": live_trading_requested(),
                "blocking": [i.key for i in blocking],
                "items": rows,
            }
            self.stdout.write(json.dumps(body, sort_keys=True))
        else:
            for row in rows:
                flag = "*" if row["required"] else " "
                self.stdout.write(f"{row['status']:<8}{flag} {row['key']:<28} {row['evidence']}")
            self.stdout.write(f"ready: {not blocking} (* = required)")
        if blocking:
            raise SystemExit(1)
