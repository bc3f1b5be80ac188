from __future__ import annotations

from django.core.management.base import CommandError, CommandParser

from common.actors import AuditedCommand
from operations.backups import database_backup_create


class Command(AuditedCommand):
    help = (
        "Back up the database with django-dbbackup (as the daily task does) and record it; "
        "exits non-zero when the backup failed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--reason", default="", help="why this backup is taken now")

    def handle(self, *args: object, **options: object) -> None:
        backup = database_backup_create(reason=str(options["reason"]))
        if not backup.succeeded:
            raise CommandError(f"Backup failed (record #{backup.pk}): {backup.error}")
        self.stdout.write(
            f"Backup #{backup.pk}: {backup.filename} ({backup.size_bytes} bytes) in "
            f"{backup.storage}"
        )
