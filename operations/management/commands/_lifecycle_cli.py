"""What trading_shutdown and trading_startup share: the actor, the request ID, the output."""

from __future__ import annotations

import getpass
import json
import uuid
from typing import Any

import structlog
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.management.base import CommandError, CommandParser, OutputWrapper


def add_common_arguments(parser: CommandParser) -> None:
    parser.add_argument("--reason", required=True, help="why; recorded with the actor")
    parser.add_argument("--actor", default="", help="username acting (recorded and checked)")
    parser.add_argument("--request-id", default="", help="defaults to a new random id")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def actor_and_request(options: dict[str, Any]) -> tuple[AbstractBaseUser | None, str, str]:
    """The named user (or None: the system, recorded as cli:<os user>), its name, the request
    ID, bound to every log line of the run."""
    actor = None
    if options["actor"]:
        try:
            actor = get_user_model().objects.get(username=options["actor"])
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user named {options['actor']!r}") from None
    actor_name = f"cli:{getpass.getuser()}"
    request_id = options["request_id"] or uuid.uuid4().hex
    structlog.contextvars.bind_contextvars(request_id=request_id)
    return actor, actor_name, request_id


def write_report(stdout: OutputWrapper, report: Any, as_json: bool) -> None:
    if as_json:
        stdout.write(json.dumps(report.as_dict(), sort_keys=True, default=str))
        return
    for step in report.steps:
        stdout.write(f"{'ok  ' if step['ok'] else 'FAIL'} {step['step']}: {step['detail']}")
    stdout.write(f"outcome: {report.outcome} (event {report.event_id})")
    if report.next_step:
        stdout.write(f"next step: {report.next_step}")
