from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandError, CommandParser

from common.actors import ActorCommand
from common.exceptions import TradingOpsError
from common.numeric import column_argument
from models_registry.management.commands._common import MODEL_WORK, model_for
from models_registry.models import training_seed_spec
from models_registry.selectors import aliases_of
from models_registry.services import model_version_train
from models_registry.services.training import HOLDOUT_FRACTION


class Command(ActorCommand):
    help = (
        "Train a new version as a tracked run (embargoed hold-out, walk-forward, backtest). It "
        "becomes champion only through approve_model and promote_model, like any version."
    )
    actor_requirement = MODEL_WORK

    def add_arguments(self, parser: CommandParser) -> None:
        target = parser.add_mutually_exclusive_group()
        target.add_argument("--strategy", help="train the model this strategy trades")
        target.add_argument("--model", help="registered model name (default baseline-direction)")
        parser.add_argument("--params", help='hyperparameters as JSON, e.g. {"C": 0.5, "seed": 3}')
        parser.add_argument("--symbols", nargs="*", help="train on these symbols only")
        parser.add_argument(
            "--holdout-fraction", type=column_argument(HOLDOUT_FRACTION, as_float=True)
        )
        parser.add_argument("--seed", type=column_argument(training_seed_spec("--seed")), default=0)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            params = json.loads(str(options["params"])) if options["params"] else None
        except json.JSONDecodeError as exc:
            raise CommandError(f"--params is not valid JSON: {exc}") from exc
        if params is not None and not isinstance(params, dict):
            raise CommandError("--params must be a JSON object")
        try:
            name = (
                model_for(str(options["strategy"])).name
                if options["strategy"]
                else str(options["model"] or "baseline-direction")
            )
            version = model_version_train(
                model_name=name,
                symbols=options["symbols"] or None,
                holdout_fraction=options["holdout_fraction"],
                seed=int(options["seed"]),
                params=params,
                actor=self.actor.user,
                request_id=self.actor.request_id,
            )
        except TradingOpsError as exc:
            raise CommandError(str(exc)) from exc
        run = version.training_run
        self.stdout.write(
            json.dumps(
                {
                    "model_version": str(version),
                    "id": version.pk,
                    "aliases": aliases_of(model_version=version),
                    "champion": "champion" in aliases_of(model_version=version),
                    "artifact_sha256": version.artifact_sha256,
                    "training_run": run.pk if run else None,
                    "dataset_sha256": run.dataset_snapshot.content_sha256
                    if run and run.dataset_snapshot
                    else None,
                    "metrics": version.metrics,
                    "champion_on_same_holdout": run.metrics.get("champion_holdout")
                    if run
                    else None,
                }
            )
        )
