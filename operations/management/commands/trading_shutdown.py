from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.management.base import CommandError, CommandParser

from common.actors import ActorCommand, ActorRequirement
from common.exceptions import TradingOpsError
from common.numeric import column_argument, range_spec
from operations.choices import LifecycleOutcome, ShutdownMode
from operations.lifecycle import SHUTDOWN_PERMISSIONS, trading_shutdown
from operations.management.commands._lifecycle_cli import add_common_arguments, write_report


def _seconds(option: str) -> Callable[[str], float]:
    """A timeout in seconds, up to a day: NaN, inf or -5 is a usage error naming the option,
    not a shutdown that waits forever or not at all."""
    spec = range_spec(option, "seconds", minimum=0, maximum=86_400, decimal_places=3)
    return column_argument(spec, as_float=True)


class Command(ActorCommand):
    help = (
        "Stop trading. graceful: halt new orders, let open orders fill (cancel them after "
        "--order-timeout), stop beat, drain workers (warm shutdown). emergency: engage the "
        "kill switch and cancel every open order at once. See docs/runbooks/shutdown.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--mode", choices=["graceful", "emergency"], required=True)
        add_common_arguments(parser)
        parser.add_argument(
            "--order-timeout",
            type=_seconds("--order-timeout"),
            default=None,
            help="seconds open orders get to fill (graceful)",
        )
        parser.add_argument(
            "--drain-timeout",
            type=_seconds("--drain-timeout"),
            default=None,
            help="seconds workers get to finish their task (graceful)",
        )
        parser.add_argument(
            "--keep-workers",
            action="store_true",
            help="do not shut the Celery workers down (graceful)",
        )

    def actor_requirement_for(self, options: dict[str, Any]) -> ActorRequirement:
        return ActorRequirement(
            permissions=SHUTDOWN_PERMISSIONS[ShutdownMode(options["mode"])],
            service_account="svc-lifecycle",
        )

    def handle(self, *args: object, **options: Any) -> None:
        try:
            report = trading_shutdown(
                mode=str(options["mode"]),
                reason=str(options["reason"]),
                actor=self.actor.user,
                request_id=self.actor.request_id,
                order_timeout_s=options["order_timeout"],
                drain_timeout_s=options["drain_timeout"],
                drain_workers=not options["keep_workers"],
            )
        except TradingOpsError as exc:
            raise CommandError(str(exc)) from exc
        write_report(self.stdout, report, bool(options["json"]))
        if report.outcome != LifecycleOutcome.DONE:
            raise SystemExit(1)
