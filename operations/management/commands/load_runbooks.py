from __future__ import annotations

from django.core.management.base import CommandError

from common.actors import ActorCommand, ActorRequirement
from operations.readiness import readiness_items_load
from operations.runbooks import alert_rule_problems, runbooks_load


class Command(ActorCommand):
    help = (
        "Load docs/runbooks/*.md into admin (a new version only when a file changed) and the "
        "readiness checklist's items. Idempotent; fails if an alert links a missing runbook."
    )

    # Recorded as loaded_by: the person whose token is presented, else svc-runbooks.
    actor_requirement = ActorRequirement(service_account="svc-runbooks")

    def handle(self, *args: object, **options: object) -> None:
        report = runbooks_load(actor_name=self.actor.name)
        readiness_items_load()
        self.stdout.write(
            f"runbooks: {len(report.created)} created, {len(report.updated)} updated, "
            f"{len(report.unchanged)} unchanged"
        )
        problems = alert_rule_problems()
        if problems:
            raise CommandError("alert rules link missing runbooks: " + "; ".join(problems))
