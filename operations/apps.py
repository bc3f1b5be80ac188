from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "operations"
    verbose_name = "6. Operations"

    def ready(self) -> None:
        from operations import receivers, security, worker_metrics  # noqa: F401 - connect signals
