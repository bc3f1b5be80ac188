"""Operations admin, one module per area: access (API tokens, users behind 2FA), backups
and restore drills, the operating records (runbooks, readiness, incidents, shutdown/startup)."""

from operations.admin import access, backups, operating

__all__ = ["access", "backups", "operating"]
