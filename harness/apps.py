from django.apps import AppConfig


class HarnessConfig(AppConfig):
    """Installed for its management command (``run_broker_simulator``); it has no models."""

    name = "harness"
    verbose_name = "Harness"
