"""Operations admin, one module per area: the audit trail for compliance, and the operating
records (runbooks, readiness, incidents, shutdown/startup)."""

from operations.admin import audit, operating

__all__ = ["audit", "operating"]
