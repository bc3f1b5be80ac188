from django.apps import AppConfig


class ExecutionConfig(AppConfig):
    name = "execution"
    verbose_name = "5. Execution"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from execution.models import Strategy

        auditlog.register(Strategy, m2m_fields={"instruments"})
