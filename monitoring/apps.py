from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    """Health endpoints, metrics, scheduler health and the on-call page. It reads every app and
    no app imports it: what others need from it, it registers with them here."""

    name = "monitoring"
    verbose_name = "Monitoring"

    def ready(self) -> None:
        from monitoring import (  # noqa: F401 - connect the Celery signal receivers
            receivers,
            worker_metrics,
        )
        from monitoring.checklist import check_periodic_tasks_healthy
        from operations.readiness import readiness_check_register

        readiness_check_register("periodic_tasks_healthy", check_periodic_tasks_healthy)
