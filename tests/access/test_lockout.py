"""Login throttling: django-axes locks a username/address pair out after AXES_FAILURE_LIMIT
failures, logs the lockout and shows the attempts in admin."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt, AccessFailureLog

from audit.models import AuditEvent

pytestmark = pytest.mark.django_db
LOGIN = "/admin/login/?next=/admin/"


def _login(client, password: str):
    return client.post(LOGIN, {"username": "alice", "password": password})


def test_repeated_failures_lock_the_account_out_even_with_the_right_password(
    client, operator, settings, log_output
):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(2):
        assert _login(client, "wrong").status_code == 200  # the form again, with an error

    locked = _login(client, "wrong")
    after = _login(client, "pw-alice")

    assert locked.status_code == after.status_code == 429
    assert "_auth_user_id" not in client.session
    attempt = AccessAttempt.objects.get(username="alice")
    assert attempt.failures_since_start >= 3
    assert AccessFailureLog.objects.filter(username="alice", locked_out=True).exists()
    assert "login_locked_out" in log_output.getvalue()
    assert "alice" in log_output.getvalue()
    # One chained event per refused attempt while locked (the locking one and the next).
    lockouts = AuditEvent.objects.filter(action="auth.locked_out")
    assert lockouts.count() == 2
    assert {(e.object_type, e.object_repr) for e in lockouts} == {("auth.user", "alice")}


def test_a_success_before_the_limit_resets_the_count(client, operator, settings):
    settings.AXES_FAILURE_LIMIT = 3
    _login(client, "wrong")
    _login(client, "wrong")

    assert _login(client, "pw-alice").status_code == 302
    assert not AccessAttempt.objects.filter(username="alice").exists()


def test_lockouts_are_visible_in_admin_to_compliance_and_admins(
    client, operator, role_user, settings
):
    settings.AXES_FAILURE_LIMIT = 2
    _login(client, "wrong")
    _login(client, "wrong")

    for role in ("compliance", "admin"):
        client.force_login(role_user(role))
        page = client.get("/admin/axes/accessattempt/")
        assert page.status_code == 200
        assert "alice" in page.content.decode()
    client.force_login(role_user("viewer"))
    assert client.get("/admin/axes/accessattempt/").status_code == 403
