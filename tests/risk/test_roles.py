"""The roles the data migration creates, and what each may do."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

pytestmark = pytest.mark.django_db


def _perms(group: str) -> set[str]:
    return {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Group.objects.get(name=group).permissions.select_related("content_type")
    }


def test_the_four_roles_exist():
    assert set(Group.objects.values_list("name", flat=True)) >= {
        "operator",
        "risk_officer",
        "compliance",
        "viewer",
    }


def test_operators_engage_and_request_but_cannot_approve():
    perms = _perms("operator")

    assert {"risk.operate_killswitch", "risk.request_change"} <= perms
    assert "risk.approve_change" not in perms


def test_risk_officers_approve():
    assert "risk.approve_change" in _perms("risk_officer")


def test_compliance_reads_everything_and_changes_nothing():
    perms = _perms("compliance")

    assert {"risk.view_riskdecision", "risk.view_riskaction", "auditlog.view_logentry"} <= perms
    # Exporting the audit trail is reading it (operations' post_migrate grants it).
    assert "audit.export_auditevent" in perms
    assert all(p.split(".")[1].startswith(("view_", "export_")) for p in perms)


def test_viewers_only_view():
    assert all(p.split(".")[1].startswith("view_") for p in _perms("viewer"))
