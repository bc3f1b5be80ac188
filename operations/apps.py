from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "operations"
    verbose_name = "6. Operations"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from operations import checks, receivers, worker_metrics  # noqa: F401 - register
        from operations.models import Incident, ReadinessItem

        # Who changed a readiness item's owner, status or evidence, and an incident's
        # postmortem, is compliance evidence.
        auditlog.register(ReadinessItem)
        auditlog.register(Incident)
