"""Reads: permissions by the ``app_label.codename`` names the roles table uses, and how the
groups in the database differ from that table."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

from access.roles import ROLES, SERVICE_ACCOUNTS


@dataclass(frozen=True)
class GroupDrift:
    """How one group differs from its row in the table: what it lacks and what it holds
    beyond it (granted by hand, or taken out of the table since)."""

    group: str
    missing: frozenset[str]
    extra: frozenset[str]

    @property
    def matches(self) -> bool:
        return not self.missing and not self.extra


def _name(permission: Permission) -> str:
    return f"{permission.content_type.app_label}.{permission.codename}"


def permissions_named(names: Iterable[str], *, using: str = "default") -> dict[str, Permission]:
    """The permissions among ``names`` that exist, by name; unknown names are left out."""
    query = Q(pk__in=[])
    for name in set(names):
        app_label, codename = name.split(".", 1)
        query |= Q(content_type__app_label=app_label, codename=codename)
    found = Permission.objects.using(using).filter(query).select_related("content_type")
    return {_name(permission): permission for permission in found}


def group_permissions(group: Group) -> dict[str, Permission]:
    """What ``group`` holds, by name."""
    return {_name(p): p for p in group.permissions.select_related("content_type")}


def role_table_unknown(*, using: str = "default") -> set[str]:
    """Permissions the tables name that the database does not have (an app not installed,
    a model renamed): every role and service account would silently lack them."""
    named = {name for table in (ROLES, SERVICE_ACCOUNTS) for row in table.values() for name in row}
    return named - set(permissions_named(named, using=using))


def role_drift_list(*, using: str = "default") -> list[GroupDrift]:
    """Each role's group against the table (a missing group lacks everything)."""
    groups = {
        group.name: group
        for group in Group.objects.using(using)
        .filter(name__in=ROLES)
        .prefetch_related("permissions__content_type")
    }
    drifts = []
    for role, wanted in ROLES.items():
        group = groups.get(role)
        held = {_name(p) for p in group.permissions.all()} if group else set()
        drifts.append(GroupDrift(role, frozenset(wanted - held), frozenset(held - wanted)))
    return drifts
