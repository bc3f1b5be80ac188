from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandError, CommandParser

from common.actors import AuditedCommand
from common.exceptions import TradingOpsError
from models_registry.services import dataset_snapshot_build


class Command(AuditedCommand):
    help = "Snapshot features and labels of the stored bars as an immutable, hashed Parquet file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--symbols", nargs="*", help="only these symbols")
        parser.add_argument("--timeframe", help="bar timeframe (default MARKETDATA_TIMEFRAME)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            snapshot = dataset_snapshot_build(
                symbols=options["symbols"] or None, timeframe=options["timeframe"] or None
            )
        except TradingOpsError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            json.dumps(
                {
                    "id": snapshot.pk,
                    "content_sha256": snapshot.content_sha256,
                    "rows": snapshot.row_count,
                    "symbols": snapshot.symbols,
                    "start": snapshot.start.isoformat(),
                    "end": snapshot.end.isoformat(),
                    "feature_set": str(snapshot.feature_set),
                    "path": snapshot.storage_path,
                }
            )
        )
