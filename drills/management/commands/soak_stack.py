from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from drills.gamedays.facts import game_day_facts
from drills.management.commands import _soak_cli
from drills.soak.collect import soak_collect
from drills.soak.seed import history_start, soak_seed


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


class Command(BaseCommand):
    help = (
        "The soak's helper inside its own stack environment (run by `soak` and `game_day`): "
        "`seed` fills the scratch database, `collect` prints the loop's figures as JSON, "
        "`facts` what a game day checks in the records (rollbacks, signals, trips) as JSON."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        seed = sub.add_parser("seed")
        seed.add_argument("--instruments", type=_soak_cli.instruments(), default=3)
        seed.add_argument("--history-sessions", type=_soak_cli.history_sessions(), default=30)
        seed.add_argument("--first-open", type=_moment, required=True)
        seed.add_argument("--calendar", default="XNYS")
        seed.add_argument("--schedule-seconds", type=_soak_cli.schedule_seconds(), default=1)
        seed.add_argument("--max-price-age-s", type=_soak_cli.max_price_age_s(), default=None)
        seed.add_argument("--users", nargs="*", default=[], help="NAME:PASSWORD superusers")
        seed.add_argument(
            "--second-version-approver",
            default="",
            help="train a second model version, approved by this user and promoted through "
            "the gates, so a previous champion exists (game day rollback-under-load)",
        )
        collect = sub.add_parser("collect")
        collect.add_argument("--start", type=_moment, required=True)
        collect.add_argument("--end", type=_moment, required=True)
        collect.add_argument("--session", action="append", default=[], help="LABEL|OPEN|CLOSE")
        facts = sub.add_parser("facts")
        facts.add_argument("--since", type=_moment, required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "seed":
            first_open = options["first_open"]
            result = soak_seed(
                instruments=options["instruments"],
                first_open=first_open,
                history_from=history_start(
                    first_session=first_open.date().isoformat(),
                    sessions=options["history_sessions"],
                    calendar=options["calendar"],
                ),
                schedule_seconds=options["schedule_seconds"],
                users=dict(user.split(":", 1) for user in options["users"]),
                second_version_approver=options["second_version_approver"],
                max_price_age_s=options["max_price_age_s"],
            )
            self.stdout.write(json.dumps(result.__dict__))
            return
        if options["action"] == "facts":
            self.stdout.write(json.dumps(game_day_facts(since=options["since"]), default=str))
            return
        sessions = []
        for text in options["session"]:
            label, opened, closed = text.split("|")
            sessions.append((label, _moment(opened), _moment(closed)))
        figures = soak_collect(start=options["start"], end=options["end"], sessions=sessions)
        self.stdout.write(json.dumps(figures, default=str))
