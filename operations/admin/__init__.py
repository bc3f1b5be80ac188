"""Operations admin, one module per area: access (API tokens, users behind 2FA), the audit
trail for compliance, backups and restore drills, the operating records (runbooks, readiness,
incidents, shutdown/startup), game days and soak runs."""

from operations.admin import access, audit, backups, gamedays, operating, soak

__all__ = ["access", "audit", "backups", "gamedays", "operating", "soak"]
