from __future__ import annotations

import os

from common.actors import AuditedCommand
from operations.seed import demo_seed


class Command(AuditedCommand):
    help = (
        "Seed the demo: instruments, bar history, a champion baseline model, a strategy, the "
        "beat schedule and an operator account (password from TRADINGOPS_ADMIN_PASSWORD, or "
        "generated and printed once)."
    )

    def handle(self, *args: object, **options: object) -> None:
        report = demo_seed(operator_password=os.environ.get("TRADINGOPS_ADMIN_PASSWORD") or None)
        self.stdout.write(f"Champion model: {report.model_version}")
        if report.operator_password:
            self.stdout.write(
                f"Operator account created: {report.operator_username} / "
                f"{report.operator_password}  (shown once; change it in admin)"
            )
        else:
            self.stdout.write(f"Operator account {report.operator_username} already exists.")
