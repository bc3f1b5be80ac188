from __future__ import annotations

from celery import shared_task

from operations.audit_trail import audit_chain_verify


@shared_task(name="operations.verify_audit_chain")
def verify_audit_chain() -> bool:
    """Periodic (daily): verify the audit hash chain end to end; the outcome is stored and
    exported as ``tradingops_audit_chain_valid``, which the AuditChainBroken alert watches."""
    return audit_chain_verify().valid
