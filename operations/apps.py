from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate

# Compliance reviews and exports the audit trail; risk officers and admins review it.
AUDIT_PERMISSIONS = {
    "compliance": (
        "view_auditevent",
        "export_auditevent",
        "view_auditchainverification",
        "view_auditcheckpoint",
    ),
    "risk_officer": ("view_auditevent", "view_auditchainverification"),
    "admin": ("view_auditevent", "view_auditchainverification", "view_auditcheckpoint"),
}


class OperationsConfig(AppConfig):
    name = "operations"
    verbose_name = "6. Operations"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from operations import (  # noqa: F401 - connect signals, register checks
            audit_sources,
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
        audit_sources.connect()
        post_migrate.connect(_grant_audit_permissions, sender=self)


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


def _grant_audit_permissions(using: str = "default", **kwargs: Any) -> None:
    """Give the roles (groups from risk's data migration) their audit permissions after every
    migrate; adding is idempotent and never removes what an admin granted."""
    from django.contrib.auth.models import Group, Permission

    for group in Group.objects.using(using).filter(name__in=AUDIT_PERMISSIONS):
        perms = Permission.objects.using(using).filter(
            content_type__app_label="operations", codename__in=AUDIT_PERMISSIONS[group.name]
        )
        group.permissions.add(*perms)
