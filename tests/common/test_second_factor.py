"""With SECURITY_REQUIRE_2FA on, staff need a verified TOTP device for privileged actions:
kill switch release, limit raises, change approval, promotion approval, user management."""

from __future__ import annotations

import time

import pytest
from django.contrib.auth.models import User
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from risk import services
from risk.models import ChangeRequest, KillSwitch

pytestmark = pytest.mark.django_db
RISK = "/api/v1/risk/"


@pytest.fixture(autouse=True)
def require_2fa(settings):
    settings.SECURITY_REQUIRE_2FA = True
    # django-otp delays the next try after a wrong code; these tests retry at once.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def _device(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def _code(device: TOTPDevice, offset_steps: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + offset_steps * device.step
    return f"{totp.token():0{device.digits}d}"


def _pending_release(desk_operator) -> ChangeRequest:
    services.kill_switch_engage(actor=desk_operator, reason="drill", request_id="r1")
    return services.kill_switch_release_request(actor=desk_operator, reason="over", request_id="r2")


def test_approving_through_the_api_needs_an_otp_code(api_client, desk_operator, risk_officer):
    change = _pending_release(desk_operator)
    device = _device(risk_officer)
    api_client.force_authenticate(risk_officer)
    url = f"{RISK}change-requests/{change.pk}/approve/"

    refused = api_client.post(url, {"reason": "ok"}, format="json")
    wrong = api_client.post(url, {"reason": "ok"}, format="json", HTTP_X_OTP_CODE="000000")

    assert refused.status_code == wrong.status_code == 403
    assert "second factor" in refused.json()["detail"]
    assert KillSwitch.objects.get().engaged
    allowed = api_client.post(url, {"reason": "ok"}, format="json", HTTP_X_OTP_CODE=_code(device))
    assert allowed.status_code == 200
    assert not KillSwitch.objects.get().engaged


def test_engaging_the_kill_switch_never_waits_for_a_second_factor(api_client, desk_operator):
    api_client.force_authenticate(desk_operator)

    response = api_client.post(f"{RISK}kill-switch/engage/", {"reason": "now"}, format="json")

    assert response.status_code == 200
    refused = api_client.post(f"{RISK}kill-switch/release/", {"reason": "x"}, format="json")
    assert refused.status_code == 403
    assert "second factor" in refused.json()["detail"]


def test_a_limit_change_through_the_api_needs_an_otp_code(api_client, desk_operator):
    api_client.force_authenticate(desk_operator)
    body = {"scope": "global", "key": "", "field": "max_order_notional", "value": "40000"}
    body["reason"] = "more room"

    refused = api_client.post(f"{RISK}limits/change/", body, format="json")

    assert refused.status_code == 403
    assert not ChangeRequest.objects.exists()
    device = _device(desk_operator)
    allowed = api_client.post(
        f"{RISK}limits/change/", body, format="json", HTTP_X_OTP_CODE=_code(device)
    )
    assert allowed.status_code == 202


def test_promotion_approval_through_the_api_needs_an_otp_code(api_client, role_user):
    officer = role_user("risk_officer")
    api_client.force_authenticate(officer)

    # Refused before the version is even looked up: no second factor, no approval.
    response = api_client.post("/api/v1/models/versions/999/approve/", {"reason": "ok"})

    assert response.status_code == 403
    assert "second factor" in response.json()["detail"]
    _device(officer)
    response = api_client.post(
        "/api/v1/models/versions/999/approve/",
        {"reason": "ok"},
        HTTP_X_OTP_CODE=_code(officer.totpdevice_set.get()),
    )
    assert response.status_code == 404


def test_admin_release_is_refused_until_the_session_verifies_its_totp_device(client, desk_operator):
    services.kill_switch_engage(actor=desk_operator, reason="drill", request_id="r1")
    device = _device(desk_operator)
    client.force_login(desk_operator)
    url = f"/admin/risk/killswitch/{KillSwitch.objects.get().pk}/change/"
    release = {"reason_for_change": "drill over"}  # 'engaged' unticked

    assert client.post(url, release).status_code == 403
    assert not ChangeRequest.objects.exists()
    wrong = client.post(
        "/admin/otp/verify/", {"otp_device": device.persistent_id, "otp_token": "1"}
    )
    assert wrong.context["verified"] is False
    verify = client.post(
        "/admin/otp/verify/", {"otp_device": device.persistent_id, "otp_token": _code(device)}
    )
    assert verify.context["verified"] is True
    assert client.post(url, release).status_code == 302
    assert ChangeRequest.objects.get().kind == "kill_switch_release"


def test_admin_approval_action_is_refused_without_a_verified_device(
    client, desk_operator, risk_officer
):
    change = _pending_release(desk_operator)
    client.force_login(risk_officer)

    response = client.post(
        "/admin/risk/changerequest/",
        {
            "action": "approve_selected_requests",
            "_selected_action": [change.pk],
            "apply": "1",
            "reason": "ok",
        },
    )

    assert response.status_code == 403
    change.refresh_from_db()
    assert change.status == "pending"


def test_user_management_needs_a_verified_device(client, role_user):
    admin_user = role_user("admin")
    device = _device(admin_user)
    client.force_login(admin_user)
    new_user = {
        "username": "newbie",
        "password1": "Str0ng-pass-9x!",
        "password2": "Str0ng-pass-9x!",
    }
    new_user["usable_password"] = "true"

    assert client.post("/admin/auth/user/add/", new_user).status_code == 403
    assert not User.objects.filter(username="newbie").exists()
    assert client.get("/admin/auth/user/").status_code == 200  # reading is not privileged
    client.post(
        "/admin/otp/verify/", {"otp_device": device.persistent_id, "otp_token": _code(device)}
    )
    assert client.post("/admin/auth/user/add/", new_user).status_code == 302
    assert User.objects.filter(username="newbie").exists()


def test_with_2fa_off_the_check_passes_without_any_device(api_client, desk_operator, settings):
    settings.SECURITY_REQUIRE_2FA = False
    api_client.force_authenticate(desk_operator)
    services.kill_switch_engage(actor=desk_operator, reason="drill", request_id="r1")

    response = api_client.post(f"{RISK}kill-switch/release/", {"reason": "x"}, format="json")

    assert response.status_code == 202


def test_the_first_device_is_enrolled_from_the_shell_and_verifies_codes(operator):
    import io

    from django.core.management import call_command
    from django_otp import match_token

    out = io.StringIO()
    call_command("enrol_totp_device", user="alice", stdout=out, stderr=io.StringIO())

    assert out.getvalue().startswith("otpauth://totp/")
    device = TOTPDevice.objects.get(user=operator)
    assert device.confirmed
    assert match_token(operator, _code(device)) == device


def test_a_session_posting_to_the_api_without_its_csrf_token_is_refused(operator):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(operator)

    response = client.post(
        f"{RISK}kill-switch/engage/", {"reason": "x"}, content_type="application/json"
    )

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not KillSwitch.objects.get().engaged
