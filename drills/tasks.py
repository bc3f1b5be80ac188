from __future__ import annotations

from celery import shared_task

from drills.soak.staging import staging_runs_report


# The name predates the drills app: the beat entry (a PeriodicTask row operators may have
# edited) and queued messages refer to it, so it stays.
@shared_task(name="operations.staging_run_report")
def staging_run_report() -> int:
    """Periodic (hourly): each closed session of a running two-week staging run gets its
    daily report, and the run its verdict after the last session (idempotent)."""
    return staging_runs_report()
