from __future__ import annotations

import json

from django.core.management.base import CommandError, CommandParser

from common.actors import AuditedCommand
from common.exceptions import TradingOpsError
from models_registry.management.commands._common import actor, add_actor, model_for, version_of
from models_registry.services import model_alias_clear, model_version_alias_set


class Command(AuditedCommand):
    help = "Make a version the challenger or shadow of its model, or clear that alias."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--strategy", required=True, help="strategy (or model) name")
        parser.add_argument("--alias", required=True, choices=["challenger", "shadow"])
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--model-version", type=int, dest="number")
        target.add_argument("--clear", action="store_true")
        add_actor(parser)

    def handle(self, *args: object, **options: object) -> None:
        strategy, alias = str(options["strategy"]), str(options["alias"])
        who, reason = actor(options["actor"]), str(options["reason"] or f"set {alias}")  # type: ignore[arg-type]
        try:
            if options["clear"]:
                model_alias_clear(
                    registered_model=model_for(strategy), alias=alias, actor=who, reason=reason
                )
                self.stdout.write(json.dumps({"cleared": alias}))
                return
            version = version_of(strategy, int(options["number"]))  # type: ignore[call-overload]
            model_version_alias_set(model_version=version, alias=alias, actor=who, reason=reason)
        except TradingOpsError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps({alias: str(version)}))
