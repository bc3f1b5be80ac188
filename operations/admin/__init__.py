"""Operations admin, one module per area: access (API tokens, users behind 2FA), backups
and restore drills, the operating records (runbooks, readiness, incidents, shutdown/startup),
game days and soak runs."""

from operations.admin import access, backups, gamedays, operating, soak

__all__ = ["access", "backups", "gamedays", "operating", "soak"]
