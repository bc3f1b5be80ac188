"""Operations admin, one module per area: backups and restore drills, the operating records
(runbooks, readiness, incidents, shutdown/startup), game days, soak runs and the beat
schedule."""

from operations.admin import backups, gamedays, operating, schedule, soak

__all__ = ["backups", "gamedays", "operating", "schedule", "soak"]
