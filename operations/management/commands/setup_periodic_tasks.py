from __future__ import annotations

from django.core.management.base import CommandParser

from common.actors import AuditedCommand
from operations.schedule import periodic_tasks_setup


class Command(AuditedCommand):
    help = "Create the loop's periodic tasks by name, keeping schedules edited in admin."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset-schedule",
            action="store_true",
            help="put back the configured intervals (SCHEDULE_*_SECONDS)",
        )

    def handle(self, *args: object, **options: object) -> None:
        for task in periodic_tasks_setup(reset_schedule=bool(options["reset_schedule"])):
            self.stdout.write(f"{task.name}: {task.task} {task.schedule}")
