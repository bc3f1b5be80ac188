from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from drills.management.commands import _soak_cli
from drills.soak.profile import BROKERS, DEFAULT_FIRST_SESSION, FAULT_PROFILES, SoakProfile
from drills.soak.runner import soak_run
from harness.environment import default_broker
from harness.stack import StackTerminated


class Command(BaseCommand):
    help = (
        "Run the whole stack (web, worker, beat, fake providers, Prometheus) on a session clock "
        "for N trading days, store a SoakRun with daily reports, print the report. Exits 1 when "
        "an invariant breaks (duplicate or lost orders, open reconciliation breaks, PnL)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--trading-days", type=_soak_cli.trading_days(), default=14)
        parser.add_argument("--instruments", type=_soak_cli.instruments(), default=3)
        parser.add_argument(
            "--speed",
            type=_soak_cli.speed(),
            default=0.0,
            help="market seconds per wall second in session; 1 is the real two-week run; "
            "default: one bar every 2 s",
        )
        parser.add_argument("--faults", choices=FAULT_PROFILES, default="none")
        parser.add_argument(
            "--broker",
            choices=BROKERS,
            default="",
            help="default: the Alpaca-protocol simulator when installed, else the paper broker",
        )
        parser.add_argument("--timeframe", default="15m")
        parser.add_argument(
            "--first-session",
            default="",
            help=f"YYYY-MM-DD (default {DEFAULT_FIRST_SESSION}; today with --speed 1)",
        )
        parser.add_argument("--history-sessions", type=_soak_cli.history_sessions(), default=30)
        parser.add_argument("--json", action="store_true", help="print only the JSON report")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["trading_days"] < 1 or options["instruments"] < 1:
            raise CommandError("--trading-days and --instruments must be at least 1")
        first = options["first_session"] or (
            datetime.now(tz=UTC).date().isoformat()
            if options["speed"] == 1
            else DEFAULT_FIRST_SESSION
        )
        profile = SoakProfile(
            trading_days=options["trading_days"],
            instruments=options["instruments"],
            speed=options["speed"],
            faults=options["faults"],
            timeframe=options["timeframe"],
            first_session=first,
            history_sessions=options["history_sessions"],
            broker=options["broker"] or default_broker(),
        )
        quiet = options["json"]
        try:
            record, report = soak_run(
                profile=profile, log=(lambda line: None) if quiet else self.stderr.write
            )
        except StackTerminated as exc:  # the run is stored as aborted with this reason
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps(report, default=str, sort_keys=True))
        if not quiet:
            verdict = "PASSED" if report["passed"] else "FAILED: " + "; ".join(report["failures"])
            self.stderr.write(f"soak run {record.pk}: {verdict}")
        if not report["passed"]:
            sys.exit(1)
