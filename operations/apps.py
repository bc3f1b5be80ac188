from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate

# The operating records: every role reads runbooks, the readiness checklist, backups and
# restore drills (and game days and soak runs: drills.apps grants those); operators and risk
# officers open and work incidents; compliance reads them all.
_OPERATING_RECORDS = (
    "view_runbook",
    "view_runbookversion",
    "view_readinessitem",
    "view_databasebackup",
    "view_restoredrill",
)
_INCIDENT_WORK = ("view_incident", "add_incident", "change_incident")
OPERATING_PERMISSIONS = {
    "operator": (*_OPERATING_RECORDS, *_INCIDENT_WORK, "view_tradinglifecycleevent"),
    "risk_officer": (*_OPERATING_RECORDS, *_INCIDENT_WORK, "view_tradinglifecycleevent"),
    "compliance": (*_OPERATING_RECORDS, "view_incident", "view_tradinglifecycleevent"),
    "viewer": (*_OPERATING_RECORDS, "view_incident"),
    "ml_engineer": (*_OPERATING_RECORDS, "view_incident"),
    "admin": (*_OPERATING_RECORDS, "view_incident", "view_tradinglifecycleevent"),
}


class OperationsConfig(AppConfig):
    name = "operations"
    verbose_name = "6. Operations"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from operations import (  # noqa: F401 - connect signals, register checks
            checks,
            receivers,
            security,
            worker_metrics,
        )
        from operations.models import Incident, ReadinessItem

        # Who changed a readiness item's owner, status or evidence, and an incident's
        # postmortem, is compliance evidence.
        auditlog.register(ReadinessItem)
        auditlog.register(Incident)
        _register_auditlog()
        post_migrate.connect(_grant_role_permissions, sender=self)
        from operations import command_auth

        command_auth.install()


def _register_auditlog() -> None:
    """Configuration that lives outside the apps' own models: accounts, roles and the beat
    schedule. Passwords are never recorded, not even hashed."""
    from auditlog.registry import auditlog
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django_celery_beat.models import (
        ClockedSchedule,
        CrontabSchedule,
        IntervalSchedule,
        PeriodicTask,
        SolarSchedule,
    )

    auditlog.register(
        get_user_model(),
        exclude_fields=["password", "last_login"],
        m2m_fields={"groups", "user_permissions"},
    )
    auditlog.register(Group, m2m_fields={"permissions"})
    # last_run_at and total_run_count change on every beat tick: history, not configuration.
    auditlog.register(
        PeriodicTask, exclude_fields=["last_run_at", "total_run_count", "date_changed"]
    )
    for schedule in (IntervalSchedule, CrontabSchedule, SolarSchedule, ClockedSchedule):
        auditlog.register(schedule)


def _grant_role_permissions(using: str = "default", **kwargs: Any) -> None:
    """Give the roles (groups from risk's data migration) their operating-record permissions
    after every migrate; adding is idempotent and never removes what an admin granted."""
    from django.contrib.auth.models import Group, Permission

    for group in Group.objects.using(using).filter(name__in=OPERATING_PERMISSIONS):
        perms = Permission.objects.using(using).filter(
            content_type__app_label="operations", codename__in=OPERATING_PERMISSIONS[group.name]
        )
        group.permissions.add(*perms)
