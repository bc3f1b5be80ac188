from __future__ import annotations

from typing import Any

from django.conf import settings

from audit.services import audit_events_prune
from common.actors import AuditedCommand


class Command(AuditedCommand):
    help = (
        "Delete audit events older than AUDIT_RETENTION_DAYS behind a checkpoint that keeps "
        "the rest of the chain verifiable. Nothing inside the retention period is touched."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        count = audit_events_prune()
        self.stdout.write(
            f"Pruned {count} audit events older than {settings.AUDIT_RETENTION_DAYS} days"
        )
