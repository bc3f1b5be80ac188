from typing import Any

from django.apps import AppConfig, apps
from django.db import connections
from django.db.models.signals import post_migrate


class AccessConfig(AppConfig):
    name = "access"
    verbose_name = "Access control"

    def ready(self) -> None:
        from access import command_auth, lockout  # noqa: F401 - connect the lockout hook

        _register_auditlog()
        command_auth.install()
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


def _at_head(using: str) -> bool:
    """True when every migration is applied. The sync writes groups, and through
    django-auditlog and the audit chain more tables besides: after a partial migrate
    (``migrate risk 0004``) some may be missing or old, and the next full migrate syncs."""
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections[using])
    return not executor.migration_plan(executor.loader.graph.leaf_nodes())


def _sync_role_groups(app_config: AppConfig, using: str = "default", **kwargs: Any) -> None:
    """Give the roles every permission the table names that they lack; never removes one
    (docs/security.md, "Roles"). post_migrate is sent once per app, in INSTALLED_APPS order:
    the sync runs after the last one, when django.contrib.auth has made every app's
    permissions."""
    from access.services import role_groups_sync

    last = [config for config in apps.get_app_configs() if config.models_module][-1]
    if app_config.label == last.label and _at_head(using):
        role_groups_sync(using=using)
