from __future__ import annotations

from celery import shared_task

from risk.services import limit_overrides_expire


@shared_task(name="risk.expire_overrides")
def expire_overrides() -> int:
    """Periodic: stamp expired temporary overrides as reverted (the guard already ignores
    them from their expiry on; this makes the revert visible and audited)."""
    return limit_overrides_expire()
