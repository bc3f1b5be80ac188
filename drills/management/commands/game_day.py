from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from drills.gamedays.play import game_day_row, game_days_run
from drills.gamedays.scenarios import SCENARIO_NAMES
from drills.gamedays.scoring import score_table
from harness.stack import StackTerminated


class Command(BaseCommand):
    help = (
        "Start a stack of its own, inject a failure, watch health, /metrics and alerts, and "
        "record a scored GameDay (--all: every scenario in turn, then a table). Exits 1 when a "
        "scenario that ran failed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--scenario", action="append", choices=SCENARIO_NAMES)
        which.add_argument("--all", action="store_true")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        names = ["all"] if options["all"] else options["scenario"]
        quiet = options["json"]
        try:
            results = game_days_run(
                names=names, log=(lambda _: None) if quiet else self.stderr.write
            )
        except (TimeoutError, StackTerminated) as exc:
            raise CommandError(str(exc)) from exc
        rows = [game_day_row(result) for result in results]
        if quiet:
            self.stdout.write(json.dumps({"game_days": rows}, default=str))
        else:
            self.stdout.write(score_table(rows))
        if any(row["passed"] is False for row in rows):
            sys.exit(1)
