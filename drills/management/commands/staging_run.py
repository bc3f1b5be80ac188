from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from drills.management.commands import _soak_cli
from drills.models import SoakRun
from drills.soak.staging import (
    StagingRunError,
    staging_run_abort,
    staging_run_latest,
    staging_run_start,
    staging_runs_report,
)


class Command(BaseCommand):
    help = (
        "The two-week staging soak on this deployment: `start` records it, the hourly "
        "staging-run-report task (or `report` now) stores each closed session's daily report "
        "and the verdict after the last; `status` prints them; `abort` ends it with a reason."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        start = sub.add_parser("start")
        start.add_argument("--trading-days", type=_soak_cli.trading_days(), default=14)
        start.add_argument("--first-session", default="", help="YYYY-MM-DD (default: today)")
        sub.add_parser("report")
        sub.add_parser("status")
        abort = sub.add_parser("abort")
        abort.add_argument("--reason", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "start":
                run = staging_run_start(
                    trading_days=options["trading_days"], first_session=options["first_session"]
                )
                self.stdout.write(
                    f"staging run #{run.pk}: {run.trading_days} sessions "
                    f"{run.profile['first_session']} to {run.profile['last_session']}"
                )
            elif action == "report":
                self.stdout.write(f"{staging_runs_report()} daily reports written")
            elif action == "status":
                latest = staging_run_latest()
                self.stdout.write(json.dumps([_status(latest)] if latest else [], default=str))
            else:
                run = staging_run_abort(reason=options["reason"])
                self.stdout.write(f"staging run #{run.pk} aborted")
        except StagingRunError as exc:
            raise CommandError(str(exc)) from exc


def _status(run: SoakRun) -> dict:
    return {
        "id": run.pk,
        "status": run.status,
        "profile": run.profile,
        "failures": run.failures,
        "daily": [
            {
                "session": report.session,
                "bars": f"{report.bars_stored}/{report.bars_expected}",
                "cycles": f"{report.cycles_run}/{report.cycles_expected}",
                "orders": report.orders,
                "fills": report.fills,
                "duplicate_orders": report.figures.get("duplicate_orders"),
                "lost_orders": report.figures.get("lost_orders"),
            }
            for report in run.daily_reports.order_by("session")
        ],
    }
