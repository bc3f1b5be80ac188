from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from monitoring.selectors import ops_status


class Command(BaseCommand):
    help = "Print the state of the trading loop (add --json for one JSON object)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        status = ops_status()
        if options["json"]:
            self.stdout.write(json.dumps(status, sort_keys=True))
            return
        for key, value in status.items():
            self.stdout.write(f"{key}: {value}")
