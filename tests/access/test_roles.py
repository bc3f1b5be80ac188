"""The roles: one table (access/roles.py) that the groups follow after every migrate, and what
each role may do."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.core.management.base import CommandError
from django.core.management.sql import emit_post_migrate_signal

from access.roles import ROLES, SERVICE_ACCOUNTS
from access.selectors import role_drift_list, role_table_unknown
from access.services import role_groups_sync

pytestmark = pytest.mark.django_db


def _perms(group: str) -> set[str]:
    return {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Group.objects.get(name=group).permissions.select_related("content_type")
    }


def _permission(name: str) -> Permission:
    app_label, codename = name.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def test_every_permission_the_table_names_exists():
    assert role_table_unknown() == set()
    assert set(ROLES) == {
        "operator",
        "risk_officer",
        "compliance",
        "viewer",
        "ml_engineer",
        "admin",
    }
    assert set(SERVICE_ACCOUNTS) == {"svc-lifecycle", "svc-models", "svc-runbooks"}


def test_after_migrate_each_group_holds_exactly_its_row_of_the_table():
    for role, wanted in ROLES.items():
        assert _perms(role) == wanted, role
    assert all(drift.matches for drift in role_drift_list())


def test_migrate_gives_back_what_a_group_lost_and_keeps_what_an_admin_granted():
    operator = Group.objects.get(name="operator")
    operator.permissions.remove(_permission("risk.operate_killswitch"))
    operator.permissions.add(_permission("risk.approve_change"))  # granted by hand
    Group.objects.get(name="viewer").delete()

    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")

    assert _perms("operator") == ROLES["operator"] | {"risk.approve_change"}
    assert _perms("viewer") == ROLES["viewer"]


def test_sync_with_prune_takes_back_what_the_table_does_not_name():
    Group.objects.get(name="viewer").permissions.add(_permission("risk.operate_killswitch"))

    changes = {drift.group: drift for drift in role_groups_sync(prune=True)}

    assert changes["viewer"].extra == {"risk.operate_killswitch"}
    assert _perms("viewer") == ROLES["viewer"]
    assert all(drift.matches for drift in role_groups_sync(prune=True))  # idempotent


def test_the_roles_command_prints_the_table_and_checks_the_groups():
    out = io.StringIO()
    call_command("roles", stdout=out)
    assert "operator (role, " in out.getvalue()
    assert "  risk: " in out.getvalue()
    call_command("roles", "--check", stdout=io.StringIO())

    Group.objects.get(name="admin").permissions.add(_permission("risk.operate_killswitch"))
    out = io.StringIO()
    with pytest.raises(CommandError, match="differ from the roles table"):
        call_command("roles", "--check", stdout=out)
    assert "admin: holds beyond the table\n  risk: operate_killswitch" in out.getvalue()

    call_command("roles", "--sync", "--prune", stdout=io.StringIO())
    call_command("roles", "--check", stdout=io.StringIO())


def test_operators_engage_and_request_but_cannot_approve():
    perms = _perms("operator")

    assert {"risk.operate_killswitch", "risk.request_change"} <= perms
    assert "risk.approve_change" not in perms


def test_risk_officers_approve():
    assert "risk.approve_change" in _perms("risk_officer")


def test_compliance_reads_everything_and_changes_nothing():
    perms = _perms("compliance")

    assert {"risk.view_riskdecision", "risk.view_riskaction", "auditlog.view_logentry"} <= perms
    # Exporting the audit trail is reading it.
    assert "audit.export_auditevent" in perms
    assert all(p.split(".")[1].startswith(("view_", "export_")) for p in perms)


def test_viewers_only_view():
    assert all(p.split(".")[1].startswith("view_") for p in _perms("viewer"))
