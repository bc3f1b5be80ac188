"""Per-user API tokens: hashed at rest, shown once, expiring, revocable, scoped."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from access.models import ApiToken
from access.services import api_token_issue, api_token_revoke
from common.exceptions import ValidationFailed
from risk.models import KillSwitch

pytestmark = pytest.mark.django_db
ORDERS = "/api/v1/execution/orders/"
ENGAGE = "/api/v1/risk/kill-switch/engage/"


def _bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_a_token_is_stored_only_as_the_sha256_of_its_secret(operator):
    token, secret = api_token_issue(user=operator, name="ci-bot")

    token.refresh_from_db()
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in {token.key_hash, token.prefix, token.name}
    assert token.prefix == secret[:8]
    assert len(secret) >= 40  # 32 random bytes, url-safe


def test_a_read_only_token_reads_but_is_refused_on_unsafe_methods(api_client, operator):
    _, secret = api_token_issue(user=operator, name="dashboard", scope="read")

    assert api_client.get(ORDERS, **_bearer(secret)).status_code == 200
    response = api_client.post(ENGAGE, {"reason": "x"}, format="json", **_bearer(secret))

    assert response.status_code == 403
    assert response.json()["detail"] == "This API token is read-only."
    assert not KillSwitch.objects.get().engaged


def test_a_read_write_token_acts_as_its_user_with_the_users_permissions(
    api_client, operator, outsider
):
    _, secret = api_token_issue(user=operator, name="desk-bot", scope="read_write")
    _, outsider_secret = api_token_issue(user=outsider, name="nosy", scope="read_write")

    response = api_client.post(ENGAGE, {"reason": "bot stop"}, format="json", **_bearer(secret))

    assert response.status_code == 200
    assert KillSwitch.objects.get().changed_by == operator
    refused = api_client.post(ENGAGE, {"reason": "x"}, format="json", **_bearer(outsider_secret))
    assert refused.status_code == 403


def test_an_expired_token_is_refused_with_401(api_client, operator):
    _, secret = api_token_issue(user=operator, name="short", days=1)

    with time_machine.travel(timezone.now() + timedelta(days=1, seconds=1)):
        response = api_client.get(ORDERS, **_bearer(secret))

    assert response.status_code == 401
    assert "expired" in response.json()["detail"]
    assert api_client.get(ORDERS, **_bearer(secret)).status_code == 200  # before: fine


def test_a_revoked_token_is_refused_and_the_revocation_is_recorded(
    api_client, operator, risk_officer
):
    token, secret = api_token_issue(user=operator, name="leaked")
    assert api_client.get(ORDERS, **_bearer(secret)).status_code == 200

    api_token_revoke(token_id=token.pk, actor=risk_officer, reason="pasted in chat")
    api_token_revoke(token_id=token.pk, actor=operator, reason="again")  # idempotent

    assert api_client.get(ORDERS, **_bearer(secret)).status_code == 401
    token.refresh_from_db()
    assert (token.revoked_by, token.revoke_reason) == (risk_officer, "pasted in chat")


def test_an_unknown_or_malformed_token_is_401_with_a_message(api_client):
    for header in ("Bearer not-a-token", "Bearer"):
        response = api_client.get(ORDERS, HTTP_AUTHORIZATION=header)
        assert response.status_code == 401
        assert response.json()["detail"]


def test_a_token_of_a_deactivated_user_is_refused(api_client, operator):
    _, secret = api_token_issue(user=operator, name="gone")
    operator.is_active = False
    operator.save()

    assert api_client.get(ORDERS, **_bearer(secret)).status_code == 401


def test_issuing_rejects_bad_lifetimes_scopes_and_names(operator, settings):
    for kwargs in (
        {"days": 0},
        {"days": settings.API_TOKEN_MAX_DAYS + 1},
        {"scope": "admin"},
        {"name": " "},
    ):
        with pytest.raises(ValidationFailed):
            api_token_issue(user=operator, **{"name": "x", **kwargs})
    assert not ApiToken.objects.exists()


def test_the_command_prints_the_secret_once_and_stores_its_hash(operator):
    out = io.StringIO()

    call_command(
        "issue_api_token",
        user="alice",
        name="ci",
        scope="read_write",
        days=7,
        stdout=out,
        stderr=io.StringIO(),
    )

    secret = out.getvalue().strip()
    token = ApiToken.objects.get()
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert (token.user, token.scope) == (operator, "read_write")
    assert token.expires_at - token.created_at == timedelta(days=7)


def test_admin_issues_a_token_showing_the_secret_once_and_revokes_it(client, role_user, operator):
    admin_user = role_user("admin")
    client.force_login(admin_user)

    response = client.post(
        "/admin/access/apitoken/add/",
        {"user": operator.pk, "name": "grafana", "scope": "read", "days": 30},
    )

    assert response.status_code == 200
    token = ApiToken.objects.get()
    secret = response.context["secret"]
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert token.created_by == admin_user
    page = client.get(f"/admin/access/apitoken/{token.pk}/change/").content.decode()
    assert secret not in page
    client.post(
        "/admin/access/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    token.refresh_from_db()
    assert token.revoked_by == admin_user
