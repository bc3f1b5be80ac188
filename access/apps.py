from typing import Any

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


class AccessConfig(AppConfig):
    name = "access"
    verbose_name = "Access control"

    def ready(self) -> None:
        from access import command_auth, lockout  # noqa: F401 - connect the lockout hook

        _register_auditlog()
        command_auth.install()
        # Sent once per app after migrate: each run adds that app's permissions, which
        # django.contrib.auth's create_permissions (connected before, by an earlier app) has
        # just made.
        post_migrate.connect(_sync_role_groups, dispatch_uid="access.sync_role_groups")


def _register_auditlog() -> None:
    """Accounts and roles are configuration: who changed a user, a group or what a group may
    do is compliance evidence. Passwords are never recorded, not even hashed."""
    from auditlog.registry import auditlog
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    auditlog.register(
        get_user_model(),
        exclude_fields=["password", "last_login"],
        m2m_fields={"groups", "user_permissions"},
    )
    auditlog.register(Group, m2m_fields={"permissions"})


def _tables_ready(using: str) -> bool:
    """The sync writes groups and (through django-auditlog) log entries. A partial migrate
    (``migrate risk 0001``) can leave those tables missing: the next full migrate syncs."""
    from auditlog.models import LogEntry
    from django.contrib.auth.models import Group, Permission

    needed = {
        model._meta.db_table for model in (Group, Group.permissions.through, Permission, LogEntry)
    }
    return needed <= set(connections[using].introspection.table_names())


def _sync_role_groups(app_config: AppConfig, using: str = "default", **kwargs: Any) -> None:
    """Give the roles the permissions the table names for ``app_config``'s models; never
    removes one (docs/security.md, "Roles")."""
    from access.services import role_groups_sync

    if _tables_ready(using):
        role_groups_sync(app_label=app_config.label, using=using)
