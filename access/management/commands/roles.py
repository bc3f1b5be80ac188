"""Print the roles table, compare the role groups with it, or bring them to it.

manage.py roles                   each role and its permissions, by app
manage.py roles --check           exit 1 if a group lacks or exceeds its row, or the table
                                  names a permission the database does not have
manage.py roles --sync [--prune]  add what the groups lack (what every migrate does);
                                  --prune also removes what the table does not name
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import groupby
from typing import Any

from django.core.management.base import CommandError, CommandParser

from access.roles import ROLES, SERVICE_ACCOUNTS
from access.selectors import GroupDrift, role_drift_list, role_table_unknown
from access.services import role_groups_sync
from common.actors import AuditedCommand


def _by_app(names: Iterable[str]) -> list[str]:
    split = sorted(name.split(".", 1) for name in names)
    return [
        f"  {app}: {', '.join(codename for _, codename in rows)}"
        for app, rows in groupby(split, key=lambda row: row[0])
    ]


class Command(AuditedCommand):
    help = "The roles table: print it, --check the groups against it, or --sync [--prune] them."

    def add_arguments(self, parser: CommandParser) -> None:
        action = parser.add_mutually_exclusive_group()
        action.add_argument("--check", action="store_true", help="exit 1 on any difference")
        action.add_argument("--sync", action="store_true", help="add what the groups lack")
        parser.add_argument(
            "--prune", action="store_true", help="with --sync: remove what the table does not name"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["prune"] and not options["sync"]:
            raise CommandError("--prune goes with --sync")
        if options["check"]:
            self._check()
        elif options["sync"]:
            self._report(role_groups_sync(prune=options["prune"]), "added", "removed")
        else:
            self._print()

    def _print(self) -> None:
        for title, table in (("role", ROLES), ("service account", SERVICE_ACCOUNTS)):
            for name, names in table.items():
                self.stdout.write(f"{name} ({title}, {len(names)} permissions)")
                self.stdout.write("\n".join(_by_app(names)) or "  (none)")

    def _report(self, drifts: list[GroupDrift], missing: str, extra: str) -> None:
        for drift in drifts:
            for label, names in ((missing, drift.missing), (extra, drift.extra)):
                if names:
                    self.stdout.write(f"{drift.group}: {label}")
                    self.stdout.write("\n".join(_by_app(names)))
        if all(drift.matches for drift in drifts):
            self.stdout.write("Every role group matches the table.")

    def _check(self) -> None:
        unknown = role_table_unknown()
        drifts = role_drift_list()
        self._report(drifts, "lacks", "holds beyond the table")
        if unknown:
            self.stdout.write(f"Not in the database (run migrate?): {', '.join(sorted(unknown))}")
        if unknown or not all(drift.matches for drift in drifts):
            raise CommandError("The role groups differ from the roles table (manage.py roles)")
