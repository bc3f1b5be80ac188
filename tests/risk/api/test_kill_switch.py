from __future__ import annotations

import pytest

from risk.models import KillSwitch, KillSwitchEvent

pytestmark = pytest.mark.django_db
ENGAGE = "/api/v1/risk/kill-switch/engage/"
RELEASE = "/api/v1/risk/kill-switch/release/"


def test_an_operator_engages_through_the_api_and_the_event_carries_the_request_id(
    api_client, operator
):
    api_client.force_authenticate(operator)

    # A caller-supplied ID is not trusted: the audit trail uses the one the server made.
    response = api_client.post(
        ENGAGE, {"reason": "stale prices"}, format="json", HTTP_X_REQUEST_ID="forged-id"
    )

    assert response.status_code == 200
    assert response.json()["engaged"] is True
    assert KillSwitch.objects.get().engaged
    event = KillSwitchEvent.objects.get()
    assert (event.actor, event.reason) == (operator, "stale prices")
    assert event.request_id == response["X-Request-ID"] != "forged-id"


def test_release_through_the_api_needs_a_request_and_a_risk_officers_approval(
    api_client, operator, risk_officer
):
    # Changed with the risk guard issue: release is four-eyes (request, then approval).
    api_client.force_authenticate(operator)
    api_client.post(ENGAGE, {"reason": "drill"}, format="json")

    response = api_client.post(RELEASE, {"reason": "drill over"}, format="json")

    assert response.status_code == 202
    assert KillSwitch.objects.get().engaged
    api_client.force_authenticate(risk_officer)
    approval = api_client.post(
        f"/api/v1/risk/change-requests/{response.json()['id']}/approve/",
        {"reason": "checked the feed"},
        format="json",
    )
    assert approval.status_code == 200
    assert approval.json()["status"] == "approved"
    assert not KillSwitch.objects.get().engaged


def test_a_missing_reason_is_a_400_that_says_so(api_client, operator):
    api_client.force_authenticate(operator)

    response = api_client.post(ENGAGE, {}, format="json")

    assert response.status_code == 400
    assert "reason" in response.json()
    assert not KillSwitch.objects.get().engaged


def test_a_user_without_the_permission_gets_403_and_nothing_changes(api_client, outsider):
    api_client.force_authenticate(outsider)

    response = api_client.post(ENGAGE, {"reason": "curious"}, format="json")

    assert response.status_code == 403
    assert not KillSwitch.objects.get().engaged
    assert not KillSwitchEvent.objects.exists()


def test_anonymous_callers_cannot_read_or_engage(api_client):
    assert api_client.get("/api/v1/risk/kill-switch/").status_code in (401, 403)
    assert api_client.post(ENGAGE, {"reason": "x"}, format="json").status_code in (401, 403)
    assert not KillSwitch.objects.get().engaged


def test_any_signed_in_user_reads_the_state(api_client, outsider):
    api_client.force_authenticate(outsider)

    response = api_client.get("/api/v1/risk/kill-switch/")

    assert response.status_code == 200
    assert response.json()["engaged"] is False
