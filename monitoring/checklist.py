"""Monitoring's automatic check on the production-readiness checklist (``operations.readiness``),
registered from ``MonitoringConfig.ready`` because operations does not import monitoring."""

from __future__ import annotations

from monitoring.selectors import periodic_task_status
from operations.choices import ReadinessStatus as Status
from operations.readiness import CheckResult


def check_periodic_tasks_healthy() -> CheckResult:
    tasks = periodic_task_status()
    if not tasks:
        return CheckResult(Status.FAIL, "no periodic task is scheduled (run setup_periodic_tasks)")
    unhealthy = [f"{t['name']}: {t['state']}" for t in tasks if t["state"] != "up"]
    if unhealthy:
        return CheckResult(Status.FAIL, "; ".join(unhealthy))
    return CheckResult(Status.PASS, f"{len(tasks)} periodic tasks up")
