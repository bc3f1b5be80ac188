from __future__ import annotations

from django.core.management.base import CommandError, CommandParser

from common.actors import ActorCommand, ActorRequirement
from common.exceptions import TradingOpsError
from operations.choices import LifecycleOutcome
from operations.lifecycle import STARTUP_PERMISSIONS, trading_startup
from operations.management.commands._lifecycle_cli import add_common_arguments, write_report

EXIT_REFUSED = 1
EXIT_PENDING_APPROVAL = 3


class Command(ActorCommand):
    help = (
        "Pre-open checks (data fresh, brokers reachable, reconciliation clean, champions "
        "verified, kill switch released, readiness when live); when they pass, re-enable the "
        "schedule and resume trading (four-eyes permitting). Exit 1: refused; exit 3: waiting "
        "for a second person's approval. See docs/runbooks/restart.md."
    )
    actor_requirement = ActorRequirement(
        permissions=STARTUP_PERMISSIONS, service_account="svc-lifecycle"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_common_arguments(parser)
        parser.add_argument(
            "--no-catch-up", action="store_true", help="do not ingest missed bars before the checks"
        )

    def handle(self, *args: object, **options: object) -> None:
        try:
            report = trading_startup(
                reason=str(options["reason"]),
                actor=self.actor.user,
                request_id=self.actor.request_id,
                catch_up=not options["no_catch_up"],
            )
        except TradingOpsError as exc:
            raise CommandError(str(exc)) from exc
        write_report(self.stdout, report, bool(options["json"]))
        if report.outcome == LifecycleOutcome.PENDING_APPROVAL:
            raise SystemExit(EXIT_PENDING_APPROVAL)
        if report.outcome != LifecycleOutcome.DONE:
            raise SystemExit(EXIT_REFUSED)
