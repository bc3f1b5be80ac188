from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandError, CommandParser

from common.actors import ActorCommand, ActorRequirement
from common.exceptions import TradingOpsError
from models_registry.management.commands._common import version_argument, version_of
from models_registry.services import model_version_approve
from models_registry.services.promotion import APPROVE_PERMISSION


class Command(ActorCommand):
    help = (
        "Approve a version for promotion (four eyes): only a person, proven by their API token "
        "(TRADINGOPS_API_TOKEN or --token-file) and TOTP code, holding approve_promotion, who "
        "did not train it."
    )
    # As POST /api/v1/models/versions/<pk>/approve/: the permission and a second factor; no
    # service account may approve.
    actor_requirement = ActorRequirement(permissions=(APPROVE_PERMISSION,), second_factor=True)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--strategy", required=True, help="strategy (or model) name")
        parser.add_argument(
            "--model-version",
            type=version_argument("--model-version"),
            required=True,
            dest="number",
        )
        parser.add_argument("--reason", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            approval = model_version_approve(
                model_version=version_of(str(options["strategy"]), int(options["number"])),
                actor=self.actor.user,
                reason=str(options["reason"]),
                request_id=self.actor.request_id,
            )
        except TradingOpsError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            json.dumps({"approved": str(approval.model_version), "by": approval.approved_by_name})
        )
