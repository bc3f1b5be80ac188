from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from common.exceptions import TradingOpsError
from models_registry.services import model_version_train


class Command(BaseCommand):
    help = "Train a new version of a model on stored bars (time-ordered hold-out)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--model", default="baseline-direction", help="registered model name")
        parser.add_argument("--symbols", nargs="*", help="train on these symbols only")
        parser.add_argument("--holdout-fraction", type=float, default=0.2)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--promote", action="store_true", help="make it the champion")

    def handle(self, *args: object, **options: object) -> None:
        try:
            version = model_version_train(
                model_name=str(options["model"]),
                symbols=options["symbols"] or None,
                holdout_fraction=float(options["holdout_fraction"]),
                seed=int(options["seed"]),
                promote=bool(options["promote"]),
            )
        except TradingOpsError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            json.dumps(
                {
                    "model_version": str(version),
                    "champion": version.is_champion,
                    "artifact_sha256": version.artifact_sha256,
                    "metrics": version.metrics,
                }
            )
        )
