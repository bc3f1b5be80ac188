from __future__ import annotations

from celery import shared_task

from operations.audit_trail import audit_chain_verify
from operations.soak.staging import staging_runs_report


@shared_task(name="operations.verify_audit_chain")
def verify_audit_chain() -> bool:
    """Periodic (daily): verify the audit hash chain end to end; the outcome is stored and
    exported as ``tradingops_audit_chain_valid``, which the AuditChainBroken alert watches."""
    return audit_chain_verify().valid


@shared_task(name="operations.staging_run_report")
def staging_run_report() -> int:
    """Periodic (hourly): each closed session of a running two-week staging run gets its
    daily report, and the run its verdict after the last session (idempotent)."""
    return staging_runs_report()
