"""Operations models, one module per area (other areas add sibling modules)."""

from operations.models.audit import (
    AuditChainHead,
    AuditChainVerification,
    AuditCheckpoint,
    AuditEvent,
)

__all__ = ["AuditChainHead", "AuditChainVerification", "AuditCheckpoint", "AuditEvent"]
