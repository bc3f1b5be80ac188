from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "operations"
    verbose_name = "6. Operations"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from operations import (  # noqa: F401 - connect signals, register checks
            checks,
            receivers,
        )
        from operations.models import Incident, ReadinessItem

        # Who changed a readiness item's owner, status or evidence, and an incident's
        # postmortem, is compliance evidence.
        auditlog.register(ReadinessItem)
        auditlog.register(Incident)
        _register_schedule_auditlog()


def _register_schedule_auditlog() -> None:
    """The beat schedule is configuration that lives outside the apps' own models."""
    from auditlog.registry import auditlog
    from django_celery_beat.models import (
        ClockedSchedule,
        CrontabSchedule,
        IntervalSchedule,
        PeriodicTask,
        SolarSchedule,
    )

    # last_run_at and total_run_count change on every beat tick: history, not configuration.
    auditlog.register(
        PeriodicTask, exclude_fields=["last_run_at", "total_run_count", "date_changed"]
    )
    for schedule in (IntervalSchedule, CrontabSchedule, SolarSchedule, ClockedSchedule):
        auditlog.register(schedule)
