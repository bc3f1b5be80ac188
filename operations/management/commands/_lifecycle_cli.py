"""What trading_shutdown and trading_startup share: the arguments and the output. Who acts and
the request ID come from ``ActorCommand`` (docs/security.md)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandParser, OutputWrapper


def add_common_arguments(parser: CommandParser) -> None:
    parser.add_argument("--reason", required=True, help="why; recorded with the actor")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def write_report(stdout: OutputWrapper, report: Any, as_json: bool) -> None:
    if as_json:
        stdout.write(json.dumps(report.as_dict(), sort_keys=True, default=str))
        return
    for step in report.steps:
        stdout.write(f"{'ok  ' if step['ok'] else 'FAIL'} {step['step']}: {step['detail']}")
    stdout.write(f"outcome: {report.outcome} (event {report.event_id})")
    if report.next_step:
        stdout.write(f"next step: {report.next_step}")
