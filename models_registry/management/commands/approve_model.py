from __future__ import annotations

import json

from django.core.management.base import CommandError, CommandParser

from common.actors import AuditedCommand
from common.exceptions import TradingOpsError
from models_registry.management.commands._common import actor, version_of
from models_registry.services import model_version_approve


class Command(AuditedCommand):
    help = "Approve a version for promotion as --actor (needs approve_promotion; not the trainer)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--strategy", required=True, help="strategy (or model) name")
        parser.add_argument("--model-version", type=int, required=True, dest="number")
        parser.add_argument("--actor", required=True, help="username of the approver")
        parser.add_argument("--reason", required=True)

    def handle(self, *args: object, **options: object) -> None:
        approver = actor(str(options["actor"]))
        assert approver is not None  # noqa: S101 - --actor is required
        try:
            approval = model_version_approve(
                model_version=version_of(str(options["strategy"]), int(options["number"])),  # type: ignore[call-overload]
                actor=approver,
                reason=str(options["reason"]),
            )
        except TradingOpsError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            json.dumps({"approved": str(approval.model_version), "by": approval.approved_by_name})
        )
