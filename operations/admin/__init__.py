"""Operations admin, one module per area: the audit trail for compliance, the operating
records (runbooks, readiness, incidents, shutdown/startup), game days and soak runs."""

from operations.admin import audit, gamedays, operating, soak

__all__ = ["audit", "gamedays", "operating", "soak"]
