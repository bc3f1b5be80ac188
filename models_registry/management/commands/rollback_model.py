from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandError, CommandParser

from common.actors import ActorCommand
from common.exceptions import TradingOpsError
from models_registry.management.commands._common import (
    MODEL_WORK,
    add_reason,
    model_for,
    version_argument,
    version_of,
)
from models_registry.services import model_version_rollback


class Command(ActorCommand):
    help = "Restore a strategy's previous champion (or --to VERSION) in one step."
    actor_requirement = MODEL_WORK

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--strategy", required=True, help="strategy (or model) name")
        parser.add_argument("--to", type=version_argument("--to"), help="version number to restore")
        add_reason(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        strategy = str(options["strategy"])
        try:
            target = version_of(strategy, int(options["to"])) if options["to"] is not None else None
            restored = model_version_rollback(
                registered_model=model_for(strategy),
                to_version=target,
                actor=self.actor.user,
                reason=str(options["reason"] or "rollback from the command line"),
                request_id=self.actor.request_id,
            )
        except TradingOpsError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps({"champion": str(restored), "id": restored.pk}))
