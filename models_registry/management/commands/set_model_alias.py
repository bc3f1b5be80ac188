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
from models_registry.services import model_alias_clear, model_version_alias_set


class Command(ActorCommand):
    help = "Make a version the challenger or shadow of its model, or clear that alias."
    actor_requirement = MODEL_WORK

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--strategy", required=True, help="strategy (or model) name")
        parser.add_argument("--alias", required=True, choices=["challenger", "shadow"])
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument(
            "--model-version", type=version_argument("--model-version"), dest="number"
        )
        target.add_argument("--clear", action="store_true")
        add_reason(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        strategy, alias = str(options["strategy"]), str(options["alias"])
        reason = str(options["reason"] or f"set {alias}")
        who, request_id = self.actor.user, self.actor.request_id
        try:
            if options["clear"]:
                model_alias_clear(
                    registered_model=model_for(strategy),
                    alias=alias,
                    actor=who,
                    reason=reason,
                    request_id=request_id,
                )
                self.stdout.write(json.dumps({"cleared": alias}))
                return
            version = version_of(strategy, int(options["number"]))
            model_version_alias_set(
                model_version=version, alias=alias, actor=who, reason=reason, request_id=request_id
            )
        except TradingOpsError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps({alias: str(version)}))
