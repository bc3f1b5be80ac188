from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from common import clock
from common.exceptions import ProviderError
from marketdata.bulk import check_columns, read_columns
from marketdata.calendars import open_predicate
from marketdata.providers.replay import read_csv
from marketdata.quality import check_series
from marketdata.services import quality_rules


class Command(BaseCommand):
    help = (
        "Run bar validation over a CSV (timestamp,open,high,low,close,volume; one symbol) and "
        "report every rejected, quarantined or confirmed row."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="CSV file with ISO timestamps")
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument(
            "--calendar",
            default="",
            help="exchange calendar for the frozen-series rule (e.g. XNYS); default: 24/7",
        )
        parser.add_argument(
            "--reference", type=Path, help="the same symbol from a second provider (CSV)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["file"]
        if not options["reference"]:
            try:
                columns = read_columns(path)
            except (OSError, ValueError):
                columns = None  # malformed rows: the row reader reports each one
            if columns is not None:
                report = check_columns(
                    columns,
                    quality_rules(),
                    now=clock.now(),
                    is_open=open_predicate(str(options["calendar"])),
                )
                self._print(options, path, len(columns), report, [])
                return
        try:
            fetched = read_csv(path, symbol=path.stem)
            reference = read_csv(options["reference"], path.stem) if options["reference"] else None
        except (OSError, ProviderError) as exc:
            raise CommandError(str(exc)) from exc
        report = check_series(
            fetched.bars,
            quality_rules(),
            now=clock.now(),
            references={bar.timestamp: bar.close for bar in reference.bars} if reference else None,
            is_open=open_predicate(str(options["calendar"])),
        )
        report["counts"]["rejected"] += len(fetched.rejections)
        malformed = [
            {"row": row.row, "status": "rejected", "reasons": [row.reason]}
            for row in fetched.rejections
        ]
        self._print(options, path, len(fetched.bars) + len(fetched.rejections), report, malformed)

    def _print(
        self, options: dict, path: Path, rows: int, report: dict, malformed: list[dict]
    ) -> None:
        report = {"file": str(path), "rows_read": rows, **report, "malformed_rows": malformed}
        if options["json"]:
            self.stdout.write(json.dumps(report))
            return
        self.stdout.write(f"{report['file']}: {report['rows_read']} rows, {report['counts']}")
        for row in report["flagged"] + report["malformed_rows"]:
            where = row.get("timestamp") or row["row"]
            self.stdout.write(f"  {where} {row['status']}: {', '.join(row['reasons'])}")
