from django.apps import AppConfig


class MarketdataConfig(AppConfig):
    name = "marketdata"
    verbose_name = "1. Market data"

    def ready(self) -> None:
        # Imported here: this module loads before the app registry is ready for models.
        from auditlog.registry import auditlog

        from marketdata.models import Instrument

        auditlog.register(Instrument)
