"""Operations admin, one module per area: backups and restore drills, the operating records
(runbooks, readiness, incidents, shutdown/startup) and the beat schedule."""

from operations.admin import backups, operating, schedule

__all__ = ["backups", "operating", "schedule"]
