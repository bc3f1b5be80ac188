from django.apps import AppConfig


class ExecutionConfig(AppConfig):
    name = "execution"
    verbose_name = "5. Execution"

    def ready(self) -> None:
        # Imported here: this module loads before the app registry is ready for models.
        from auditlog.registry import auditlog

        from execution.models import Strategy
        from execution.services import orders_cancel_open
        from marketdata.models import Instrument
        from risk import hooks

        auditlog.register(Strategy, m2m_fields={"instruments"})

        # Risk imports no other app: it reaches execution through these callbacks. The kill
        # switch cancels every open order through execution's own service.
        hooks.kill_switch_handler_register(
            "execution.cancel_open_orders", lambda reason: orders_cancel_open(reason=reason)
        )
        hooks.name_validator_register(
            "strategy", lambda name: Strategy.objects.filter(name=name).exists()
        )
        hooks.name_validator_register(
            "instrument", lambda symbol: Instrument.objects.filter(symbol=symbol).exists()
        )
