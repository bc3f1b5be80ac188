from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate

# Every role reads the drills' records, as it reads the other operating records.
_DRILL_RECORDS = ("view_gameday", "view_soakrun", "view_soakdailyreport")
DRILL_PERMISSIONS = {
    role: _DRILL_RECORDS
    for role in ("operator", "risk_officer", "compliance", "viewer", "ml_engineer", "admin")
}


class DrillsConfig(AppConfig):
    name = "drills"
    verbose_name = "7. Drills"

    def ready(self) -> None:
        from drills.readiness_checks import readiness_checks_register

        readiness_checks_register()
        post_migrate.connect(_grant_role_permissions, sender=self)


def _grant_role_permissions(using: str = "default", **kwargs: Any) -> None:
    """Give the roles (groups from risk's data migration) their drill permissions after every
    migrate; adding is idempotent and never removes what an admin granted."""
    from django.contrib.auth.models import Group, Permission

    for group in Group.objects.using(using).filter(name__in=DRILL_PERMISSIONS):
        perms = Permission.objects.using(using).filter(
            content_type__app_label="drills", codename__in=DRILL_PERMISSIONS[group.name]
        )
        group.permissions.add(*perms)
