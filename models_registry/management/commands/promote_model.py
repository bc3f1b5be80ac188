from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandError, CommandParser

from common.actors import ActorCommand
from common.exceptions import TradingOpsError
from models_registry.management.commands._common import (
    MODEL_WORK,
    add_reason,
    version_argument,
    version_of,
)
from models_registry.services import PromotionBlocked, model_version_promote, promotion_gates


class Command(ActorCommand):
    help = "Promote a version to champion through the gates (--check only shows the gates)."
    actor_requirement = MODEL_WORK

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--strategy", required=True, help="strategy (or model) name")
        parser.add_argument(
            "--model-version",
            type=version_argument("--model-version"),
            required=True,
            dest="number",
        )
        parser.add_argument("--check", action="store_true", help="show the gates, change nothing")
        add_reason(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            version = version_of(str(options["strategy"]), int(options["number"]))
            if options["check"]:
                gates = [g.as_dict() for g in promotion_gates(model_version=version)]
                self.stdout.write(json.dumps({"model_version": str(version), "gates": gates}))
                return
            model_version_promote(
                model_version=version,
                actor=self.actor.user,
                reason=str(options["reason"]),
                request_id=self.actor.request_id,
            )
        except PromotionBlocked as blocked:
            self.stdout.write(
                json.dumps({"blocked": True, "gates": [g.as_dict() for g in blocked.gates]})
            )
            raise CommandError(str(blocked)) from blocked
        except TradingOpsError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps({"champion": str(version), "id": version.pk}))
