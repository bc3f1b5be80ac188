from django.apps import AppConfig


class ExecutionConfig(AppConfig):
    name = "execution"
    verbose_name = "5. Execution"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from audit.sources import audit_source_register
        from execution.audit_feed import reconciliation_break_entry
        from execution.models import ReconciliationBreak, Strategy
        from marketdata.models import Instrument
        from risk import hooks

        auditlog.register(Strategy, m2m_fields={"instruments"})
        # Reconciliation breaks are chained in the audit trail when found and when resolved.
        audit_source_register(ReconciliationBreak, reconciliation_break_entry)

        # Risk imports no other app: it reaches execution through these callbacks. The kill
        # switch cancels every open order through execution's own service.
        def cancel_open_orders(reason: str) -> int:
            from execution.services import orders_cancel_open

            return orders_cancel_open(reason=reason)

        hooks.kill_switch_handler_register("execution.cancel_open_orders", cancel_open_orders)
        hooks.name_validator_register(
            "strategy", lambda name: Strategy.objects.filter(name=name).exists()
        )
        hooks.name_validator_register(
            "instrument", lambda symbol: Instrument.objects.filter(symbol=symbol).exists()
        )
