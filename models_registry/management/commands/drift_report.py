from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from django.core.management.base import CommandError, CommandParser

from common.actors import AuditedCommand
from common.exceptions import TradingOpsError
from models_registry import drift
from models_registry.management.commands._common import model_for
from models_registry.selectors import model_version_champion
from models_registry.services import drift_report_create
from models_registry.services.promotion import drift_thresholds


def _jsonable(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


class Command(AuditedCommand):
    help = (
        "Drift of CURRENT against REFERENCE (two Parquet files of numeric columns): per column "
        "PSI and KS (or Wasserstein), and whether the dataset drifted. With --strategy, a "
        "stored drift report of that strategy's champion against recent bars instead."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--reference", type=Path)
        parser.add_argument("--current", type=Path)
        parser.add_argument("--strategy", help="report on this strategy's champion and store it")
        parser.add_argument("--json", action="store_true", help="print JSON (the default format)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["strategy"]:
            self._stored(str(options["strategy"]))
            return
        reference, current = options["reference"], options["current"]
        if not reference or not current:
            raise CommandError("Give --reference and --current Parquet files, or --strategy")
        for path in (reference, current):
            if not Path(str(path)).is_file():
                raise CommandError(f"No such file: {path}")
        result = drift.analyse(
            pq.read_table(str(reference)).to_pandas(),
            pq.read_table(str(current)).to_pandas(),
            drift_thresholds(),
        )
        self.stdout.write(json.dumps(_jsonable(result.as_dict())))

    def _stored(self, strategy: str) -> None:
        try:
            registered = model_for(strategy)
            champion = model_version_champion(registered_model_id=registered.pk)
            if champion is None:
                raise CommandError(f"{registered} has no champion")
            report = drift_report_create(model_version=champion)
        except TradingOpsError as exc:
            raise CommandError(str(exc)) from exc
        payload = {
            "model_version": str(champion),
            "status": report.status,
            "share": report.drift_share,
            "features": report.features,
            "confidence": report.confidence,
            "live_hit_rate": report.live_hit_rate,
            "holdout_hit_rate": report.holdout_hit_rate,
        }
        self.stdout.write(json.dumps(_jsonable(payload), default=str))
