from __future__ import annotations

import pytest

from risk.models import KillSwitch, KillSwitchEvent

pytestmark = pytest.mark.django_db
CHANGE_URL = "/admin/risk/killswitch/1/change/"


def test_staff_engage_the_kill_switch_from_admin_with_a_reason(client, operator):
    client.force_login(operator)

    response = client.post(CHANGE_URL, {"engaged": "on", "reason_for_change": "bad fills"})

    assert response.status_code == 302
    assert KillSwitch.objects.get().engaged
    event = KillSwitchEvent.objects.get()
    assert (event.action, event.actor, event.reason) == ("engage", operator, "bad fills")
    assert event.request_id  # the admin request's ID, for compliance to trace


def test_admin_refuses_a_change_without_a_reason(client, operator):
    client.force_login(operator)

    response = client.post(CHANGE_URL, {"engaged": "on", "reason_for_change": ""})

    assert response.status_code == 200
    assert b"This field is required" in response.content
    assert not KillSwitch.objects.get().engaged


def test_staff_without_the_permission_cannot_open_the_kill_switch(client, django_user_model):
    viewer = django_user_model.objects.create_user("bob", password="pw", is_staff=True)
    client.force_login(viewer)

    assert client.post(CHANGE_URL, {"engaged": "on", "reason_for_change": "x"}).status_code == 403
    assert not KillSwitch.objects.get().engaged


def test_every_admin_page_shows_a_banner_while_the_kill_switch_is_engaged(client, operator):
    from risk.services import kill_switch_engage

    client.force_login(operator)
    assert b"kill-switch-banner" not in client.get("/admin/").content

    kill_switch_engage(actor=operator, reason="exchange outage")
    page = client.get("/admin/")

    assert page.status_code == 200
    assert b"kill-switch-banner" in page.content
    assert b"exchange outage" in page.content


# --- Added with the risk guard issue ---------------------------------------------------------


def _engage_and_request(desk_operator):
    from risk import services

    services.kill_switch_engage(actor=desk_operator, reason="drill")
    return services.kill_switch_release_request(actor=desk_operator, reason="drill over")


def test_unticking_engaged_in_admin_files_a_release_request(client, desk_operator):
    from risk.models import ChangeRequest
    from risk.services import kill_switch_engage

    kill_switch_engage(actor=desk_operator, reason="drill")
    client.force_login(desk_operator)

    response = client.post(CHANGE_URL, {"reason_for_change": "drill over"})

    assert response.status_code == 302
    assert KillSwitch.objects.get().engaged
    assert ChangeRequest.objects.get().kind == "kill_switch_release"


def test_a_risk_officer_approves_a_release_from_admin_after_giving_a_reason(
    client, desk_operator, risk_officer
):
    request = _engage_and_request(desk_operator)
    client.force_login(risk_officer)
    url = "/admin/risk/changerequest/"
    action = {"action": "approve_selected_requests", "_selected_action": [request.pk]}

    confirm_page = client.post(url, action)
    assert confirm_page.status_code == 200
    assert b"reason" in confirm_page.content
    assert KillSwitch.objects.get().engaged

    response = client.post(url, {**action, "apply": "1", "reason": "feed checked"})

    assert response.status_code == 302
    assert not KillSwitch.objects.get().engaged
    request.refresh_from_db()
    assert (request.status, request.decided_by, request.decision_reason) == (
        "approved",
        risk_officer,
        "feed checked",
    )
    assert request.decision_request_id


def test_admin_refuses_a_self_approval_like_the_api(client, risk_officer):
    from risk import services

    services.kill_switch_engage(actor=None, reason="auto")
    request = services.kill_switch_release_request(actor=risk_officer, reason="mine")
    client.force_login(risk_officer)

    response = client.post(
        "/admin/risk/changerequest/",
        {
            "action": "approve_selected_requests",
            "_selected_action": [request.pk],
            "apply": "1",
            "reason": "self",
        },
        follow=True,
    )

    assert b"cannot approve your own request" in response.content
    assert KillSwitch.objects.get().engaged


def test_lowering_a_limit_in_admin_applies_and_raising_files_a_request(client, desk_operator):
    from decimal import Decimal

    from risk.models import ChangeRequest, RiskLimit

    row = RiskLimit.objects.get(strategy="", symbol="")
    client.force_login(desk_operator)
    url = f"/admin/risk/risklimit/{row.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {k: ("" if v is None else v) for k, v in form.initial.items() if k in form.fields}
    data.pop("drawdown_halts", None)

    lower = client.post(url, {**data, "max_order_notional": "1000", "reason_for_change": "tighten"})
    assert lower.status_code == 302
    row.refresh_from_db()
    assert row.max_order_notional == Decimal(1000)

    client.post(url, {**data, "max_order_notional": "90000", "reason_for_change": "widen"})
    row.refresh_from_db()
    assert row.max_order_notional == Decimal(1000)
    assert ChangeRequest.objects.get().payload["value"] == "90000"


def test_compliance_reads_decisions_and_actions_in_admin_but_cannot_change_limits(
    client, compliance_officer
):
    from risk.models import RiskLimit

    client.force_login(compliance_officer)

    assert client.get("/admin/risk/riskdecision/").status_code == 200
    assert client.get("/admin/risk/riskaction/").status_code == 200
    row = RiskLimit.objects.get(strategy="", symbol="")
    response = client.post(
        f"/admin/risk/risklimit/{row.pk}/change/",
        {"max_order_notional": "1", "reason_for_change": "x"},
    )
    assert response.status_code == 403
