from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class RiskConfig(AppConfig):
    name = "risk"
    verbose_name = "4. Risk guard"

    def ready(self) -> None:
        # Imported here: this module loads before the app registry is ready for models.
        from auditlog.registry import auditlog

        from risk.models import (
            KillSwitch,
            RestrictedInstrument,
            RiskLimit,
            TemporaryLimitOverride,
            TradingStateSetting,
        )
        from risk.state_store import version_bump_on_change

        auditlog.register(KillSwitch, exclude_fields=["state_version"])
        auditlog.register(RiskLimit)
        auditlog.register(TradingStateSetting)
        auditlog.register(TemporaryLimitOverride)
        auditlog.register(RestrictedInstrument)
        # Every saved or deleted risk state row bumps the version the workers' caches key on.
        for model in (
            KillSwitch,
            RiskLimit,
            TradingStateSetting,
            TemporaryLimitOverride,
            RestrictedInstrument,
        ):
            for signal in (post_save, post_delete):
                signal.connect(
                    version_bump_on_change, sender=model, dispatch_uid=f"risk-version-{model}"
                )
