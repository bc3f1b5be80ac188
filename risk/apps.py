from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class RiskConfig(AppConfig):
    name = "risk"
    verbose_name = "4. Risk guard"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from audit.sources import audit_source_register
        from risk.audit_feed import risk_action_entry
        from risk.models import (
            KillSwitch,
            RestrictedInstrument,
            RiskAction,
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
        # Every risk action is chained in the audit trail, in the action's transaction.
        audit_source_register(RiskAction, risk_action_entry)
