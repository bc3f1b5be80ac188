from __future__ import annotations

from celery import shared_task

from operations.backups import database_backup_create, restore_drill_run


# A large database's dump or restore outlasts the default limit meant for the trading loop.
@shared_task(name="operations.database_backup", time_limit=3600, soft_time_limit=3540)
def database_backup() -> int:
    """Periodic (daily): ``dbbackup`` of the database, recorded; a failure is recorded too,
    and the BackupStale alert fires when no backup succeeded for a day."""
    return database_backup_create(reason="scheduled backup").pk


@shared_task(name="operations.restore_drill", time_limit=3600, soft_time_limit=3540)
def restore_drill() -> bool:
    """Periodic (weekly): restore the newest backup into a scratch database and check it."""
    return restore_drill_run(reason="scheduled restore drill").passed
