from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

from audit.services import audit_chain_verify
from common.actors import AuditedCommand


class Command(AuditedCommand):
    help = "Verify the audit hash chain; exits non-zero and names the first broken link."

    def handle(self, *args: Any, **options: Any) -> None:
        result = audit_chain_verify()
        if not result.valid:
            raise CommandError(
                f"Audit chain broken at event #{result.broken_sequence}: {result.problem} "
                f"({result.events_checked} events verified before it)"
            )
        self.stdout.write(
            f"Audit chain valid: {result.events_checked} events verified, "
            f"head #{result.head_sequence}"
        )
