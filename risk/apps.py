from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "risk"
    verbose_name = "4. Risk guard"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from risk.models import KillSwitch, RiskLimit

        auditlog.register(KillSwitch)
        auditlog.register(RiskLimit)
