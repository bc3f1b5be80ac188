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


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from auditlog.models import LogEntry

        from audit.sources import audit_source_register, audit_sources_discover, log_entry_entry

        # Configuration changes (django-auditlog) are chained, and so is every action record
        # an app lists in its ``audit_feed`` module.
        audit_source_register(LogEntry, log_entry_entry)
        audit_sources_discover()
        post_migrate.connect(_grant_role_permissions, sender=self)


def _grant_role_permissions(using: str = "default", **kwargs: Any) -> None:
    """Give the roles (groups from risk's data migration) their audit permissions after every
    migrate; adding is idempotent and never removes what an admin granted."""
    from django.contrib.auth.models import Group, Permission

    for group in Group.objects.using(using).filter(name__in=AUDIT_PERMISSIONS):
        perms = Permission.objects.using(using).filter(
            content_type__app_label="audit", codename__in=AUDIT_PERMISSIONS[group.name]
        )
        group.permissions.add(*perms)
