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
