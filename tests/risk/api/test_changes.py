"""Limit changes, trading states, change requests and read endpoints through the API."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from risk.models import ChangeRequest, KillSwitch, RiskAction, RiskLimit

pytestmark = pytest.mark.django_db
BASE = "/api/v1/risk/"


def _limit(**changes: object) -> dict:
    return {
        "scope": "global",
        "key": "",
        "field": "max_order_notional",
        "value": "20000",
        "reason": "tighter",
        **changes,
    }


def test_lowering_a_limit_is_a_200_with_before_and_after(api_client, desk_operator):
    api_client.force_authenticate(desk_operator)

    response = api_client.post(f"{BASE}limits/change/", _limit(), format="json")

    assert response.status_code == 200
    body = response.json()
    assert body["applied"] is True
    assert body["before"] == {"field": "max_order_notional", "value": "25000.000000"}
    assert RiskLimit.objects.get(strategy="", symbol="").max_order_notional == Decimal(20000)
    action = RiskAction.objects.get(action="limit_change")
    assert action.request_id == response["X-Request-ID"]


def test_raising_a_limit_is_a_202_and_a_risk_officer_approves_it(
    api_client, desk_operator, risk_officer
):
    api_client.force_authenticate(desk_operator)
    response = api_client.post(f"{BASE}limits/change/", _limit(value="40000"), format="json")

    assert response.status_code == 202
    request_id = response.json()["change_request"]["id"]
    # The operator who asked cannot approve it: 403 with the reason.
    own = api_client.post(
        f"{BASE}change-requests/{request_id}/approve/", {"reason": "me"}, format="json"
    )
    assert own.status_code == 403
    assert "risk.approve_change" in own.json()["detail"]
    api_client.force_authenticate(risk_officer)
    approved = api_client.post(
        f"{BASE}change-requests/{request_id}/approve/", {"reason": "fine"}, format="json"
    )
    assert approved.status_code == 200
    assert RiskLimit.objects.get(strategy="", symbol="").max_order_notional == Decimal(40000)


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"scope": "instrument", "key": "NOPE"}, "Unknown instrument 'NOPE'"),
        ({"value": "-1"}, "must be greater than 0"),
        ({"reason": ""}, "reason"),
        ({"field": "max_fun"}, "field"),
        ({"duration_minutes": 0}, "duration_minutes"),
    ],
)
def test_bad_limit_input_is_a_400_that_says_what_is_wrong(
    api_client, desk_operator, changes, fragment
):
    api_client.force_authenticate(desk_operator)

    response = api_client.post(f"{BASE}limits/change/", _limit(**changes), format="json")

    assert response.status_code == 400
    assert fragment in str(response.json())
    assert RiskLimit.objects.get(strategy="", symbol="").max_order_notional == Decimal(25000)


def test_approving_an_expired_request_is_a_400(
    api_client, desk_operator, risk_officer, frozen_clock
):
    api_client.force_authenticate(desk_operator)
    api_client.post(f"{BASE}kill-switch/engage/", {"reason": "drill"}, format="json")
    request_id = api_client.post(
        f"{BASE}kill-switch/release/", {"reason": "done"}, format="json"
    ).json()["id"]
    frozen_clock.advance(timedelta(hours=2))
    api_client.force_authenticate(risk_officer)

    response = api_client.post(
        f"{BASE}change-requests/{request_id}/approve/", {"reason": "late"}, format="json"
    )

    assert response.status_code == 400
    assert "expired" in response.json()["detail"]
    assert KillSwitch.objects.get().engaged


def test_a_temporary_override_by_duration(api_client, desk_operator, frozen_clock):
    api_client.force_authenticate(desk_operator)

    response = api_client.post(
        f"{BASE}limits/change/", _limit(value="10", duration_minutes=5), format="json"
    )

    assert response.status_code == 200
    overrides = api_client.get(f"{BASE}overrides/").json()["results"]
    assert overrides[0]["value"] == "10.000000"
    state = api_client.get(f"{BASE}state/").json()
    assert len(state["active_overrides"]) == 1
    frozen_clock.advance(timedelta(minutes=5))
    assert api_client.get(f"{BASE}state/").json()["active_overrides"] == []


def test_setting_a_state_through_the_api(api_client, desk_operator):
    api_client.force_authenticate(desk_operator)

    response = api_client.post(
        f"{BASE}states/change/",
        {"scope": "global", "state": "REDUCING", "reason": "vol spike"},
        format="json",
    )

    assert response.status_code == 200
    state = api_client.get(f"{BASE}state/").json()
    assert state["states"][0]["state"] == "REDUCING"


def test_compliance_reads_everything_but_cannot_change_anything(
    api_client, compliance_officer, desk_operator
):
    api_client.force_authenticate(desk_operator)
    api_client.post(f"{BASE}limits/change/", _limit(), format="json")
    api_client.force_authenticate(compliance_officer)

    for path in ("state/", "limits/", "decisions/", "change-requests/", "trips/", "actions/"):
        assert api_client.get(BASE + path).status_code == 200, path
    assert api_client.post(f"{BASE}limits/change/", _limit(), format="json").status_code == 403
    assert (
        api_client.post(f"{BASE}kill-switch/engage/", {"reason": "x"}, format="json").status_code
        == 403
    )
    assert api_client.get(f"{BASE}actions/").json()["results"][0]["actor_name"] == "oscar"
    assert not ChangeRequest.objects.exists()


def test_reading_risk_records_needs_a_risk_role_like_admin(api_client, outsider, django_user_model):
    from django.contrib.auth.models import Group

    api_client.force_authenticate(outsider)
    for path in ("state/", "limits/", "decisions/", "change-requests/", "trips/", "actions/"):
        assert api_client.get(BASE + path).status_code == 403, path

    viewer = django_user_model.objects.create_user("vera", password="pw")
    viewer.groups.add(Group.objects.get(name="viewer"))
    api_client.force_authenticate(django_user_model.objects.get(pk=viewer.pk))
    assert api_client.get(f"{BASE}decisions/").status_code == 200
    assert api_client.get(f"{BASE}actions/").status_code == 403  # the audit trail: compliance
