"""Management commands prove who acts: a person by their API token, checked as
the API checks it; otherwise the command's service account, which may never approve."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from access.command_auth import service_account_ensure
from access.roles import SERVICE_ACCOUNTS
from access.services import api_token_issue, api_token_revoke
from audit.models import AuditEvent
from common.exceptions import PermissionRefused
from models_registry.models import PromotionApproval, PromotionEvent
from models_registry.selectors import model_version_champion
from models_registry.services import model_version_approve, model_version_train
from risk.models import ChangeRequest, KillSwitch, KillSwitchEvent
from risk.services import (
    change_request_approve,
    kill_switch_engage,
    kill_switch_release_request,
)

pytestmark = pytest.mark.django_db


def _approve(strategy_name: str = "baseline-direction", *extra: str) -> None:
    call_command(
        "approve_model",
        "--strategy",
        strategy_name,
        "--model-version",
        "1",
        "--reason",
        "card reviewed",
        *extra,
    )


def _totp(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


@pytest.fixture
def approver(role_user):
    return role_user("risk_officer", "rita")


def test_a_forged_actor_is_refused_and_nothing_is_approved(champion, approver, shell_token):
    with pytest.raises(CommandError, match="only with that person's API token"):
        _approve("baseline-direction", "--actor", "rita")

    assert not PromotionApproval.objects.exists()


def test_an_approval_without_a_token_needs_a_person(champion, approver, shell_token):
    with pytest.raises(CommandError, match="needs a person"):
        _approve()

    assert not PromotionApproval.objects.exists()


def test_actor_must_match_the_tokens_user(champion, approver, role_user, shell_token):
    shell_token(approver)

    with pytest.raises(CommandError, match="does not match the token's user rita"):
        _approve("baseline-direction", "--actor", "ralph")


@pytest.mark.parametrize("spoil", ["expired", "revoked", "deactivated", "read-only"])
def test_spoiled_tokens_are_refused_like_the_api_refuses_them(
    champion, approver, shell_token, spoil
):
    token = shell_token(approver, scope="read" if spoil == "read-only" else "read_write")
    if spoil == "expired":
        type(token).objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(1))
    elif spoil == "revoked":
        api_token_revoke(token_id=token.pk, actor=None, reason="left the desk")
    elif spoil == "deactivated":
        approver.is_active = False
        approver.save()

    expected = "read-only" if spoil == "read-only" else "Invalid, expired or revoked"
    with pytest.raises(CommandError, match=expected):
        _approve()
    assert not PromotionApproval.objects.exists()


def test_a_token_without_the_permission_is_refused(champion, outsider, shell_token):
    shell_token(outsider)

    with pytest.raises(CommandError, match=r"charlie lacks the models_registry\.approve_promotion"):
        _approve()


def test_a_token_from_a_file_approves_and_records_who_why_and_the_request_id(
    champion, approver, tmp_path, monkeypatch
):
    _, secret = api_token_issue(user=approver, name="shell", scope="read_write")
    (tmp_path / "token").write_text(secret + "\n")
    monkeypatch.delenv("TRADINGOPS_API_TOKEN", raising=False)

    _approve(
        "baseline-direction",
        "--token-file",
        str(tmp_path / "token"),
        "--actor",
        "rita",
        "--request-id",
        "req-approve-1",
    )

    approval = PromotionApproval.objects.get()
    assert (approval.approved_by, approval.reason, approval.request_id) == (
        approver,
        "card reviewed",
        "req-approve-1",
    )
    audit = AuditEvent.objects.get(action="models.approve")
    assert (audit.actor, audit.request_id) == (approver, "req-approve-1")


def test_with_2fa_on_an_approval_needs_a_current_totp_code(
    champion, approver, shell_token, settings, monkeypatch
):
    settings.SECURITY_REQUIRE_2FA = True
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    device = TOTPDevice.objects.create(user=approver, name="phone", confirmed=True)
    shell_token(approver)

    with pytest.raises(CommandError, match="second factor"):
        _approve()
    with pytest.raises(CommandError, match="second factor"):
        _approve("baseline-direction", "--otp-code", "000000")
    monkeypatch.setenv("TRADINGOPS_OTP_CODE", _totp(device))
    _approve()

    assert PromotionApproval.objects.get().approved_by == approver


def test_self_approval_is_still_refused(history, role_user, shell_token):
    trainer = role_user("ml_engineer", "dana")
    trainer.groups.add(Group.objects.get(name="risk_officer"))
    model_version_train(model_name="baseline-direction", actor=trainer)
    shell_token(trainer)

    with pytest.raises(CommandError, match="self-approval"):
        _approve()


def test_service_accounts_never_approve_nor_file_four_eyes_requests(champion, desk_operator):
    svc = service_account_ensure("svc-lifecycle")
    kill_switch_engage(actor=desk_operator, reason="drill")
    request = kill_switch_release_request(actor=desk_operator, reason="drill over")
    svc.user_permissions.add(*Group.objects.get(name="risk_officer").permissions.all())

    with pytest.raises(PermissionRefused, match="svc-lifecycle is a service account"):
        change_request_approve(actor=svc, change_request_id=request.pk, reason="ok")
    with pytest.raises(PermissionRefused, match="service account"):
        model_version_approve(model_version=champion, actor=svc, reason="ok")
    with pytest.raises(PermissionRefused, match="A four-eyes request needs a person"):
        kill_switch_release_request(actor=svc, reason="let me out")
    assert ChangeRequest.objects.get().status == "pending"
    assert KillSwitch.objects.get().engaged


def test_train_model_cannot_promote_a_first_champion(
    history, approver, shell_token, monkeypatch, capsys, settings
):
    settings.MODELS_GATE_MIN_AUC = 0.0  # synthetic bars: only the approval gate should bite
    with pytest.raises(CommandError, match="unrecognized arguments: --promote"):
        call_command("train_model", "--model", "new-model", "--promote")
    call_command("train_model", "--model", "new-model")
    capsys.readouterr()

    with pytest.raises(CommandError, match="blocked by 1 gate"):
        call_command(
            "promote_model", "--strategy", "new-model", "--model-version", "1", "--reason", "first"
        )
    shell_token(approver)
    _approve("new-model")
    monkeypatch.delenv("TRADINGOPS_API_TOKEN")  # svc-models promotes

    call_command(
        "promote_model", "--strategy", "new-model", "--model-version", "1", "--reason", "first"
    )
    version = model_version_champion(
        registered_model_id=PromotionEvent.objects.last().registered_model_id
    )
    assert str(version) == "new-model v1"
    events = PromotionEvent.objects.order_by("id").values_list("action", "actor__username")
    assert list(events) == [
        ("blocked", "svc-models"),
        ("approve", "rita"),
        ("promote", "svc-models"),
    ]


def test_without_a_token_shutdown_acts_as_its_service_account_with_only_its_permissions(
    strategy, shell_token, capsys
):
    for _ in range(2):  # idempotent: one account, one group
        call_command(
            "trading_shutdown",
            "--mode",
            "emergency",
            "--reason",
            "drill",
            "--request-id",
            "req-svc",
        )

    event = KillSwitchEvent.objects.filter(request_id="req-svc").first()
    assert (event.actor_name, event.reason) == (
        "svc-lifecycle",
        "trading_shutdown emergency: drill",
    )
    svc = event.actor
    assert not (svc.is_superuser or svc.is_staff or svc.has_usable_password())
    assert list(svc.groups.values_list("name", flat=True)) == ["svc-lifecycle"]
    held = {f"{p.content_type.app_label}.{p.codename}" for p in svc.groups.get().permissions.all()}
    assert held == set(SERVICE_ACCOUNTS["svc-lifecycle"])


def test_a_deactivated_service_account_switches_the_tokenless_path_off(strategy, shell_token):
    svc = service_account_ensure("svc-lifecycle")
    svc.is_active = False
    svc.save()

    with pytest.raises(CommandError, match="svc-lifecycle is deactivated"):
        call_command("trading_shutdown", "--mode", "emergency", "--reason", "drill")
    assert not KillSwitch.objects.filter(engaged=True).exists()


def test_startup_as_the_service_account_cannot_request_active_again(
    strategy, desk_operator, shell_token, capsys
):
    from operations.lifecycle import trading_shutdown

    trading_shutdown(
        mode="graceful", reason="x", actor=desk_operator, order_timeout_s=0, drain_workers=False
    )

    with pytest.raises(SystemExit) as exit_info:
        call_command("trading_startup", "--reason", "morning")

    assert exit_info.value.code == 1
    out = capsys.readouterr().out
    assert "needs a person" in out and "TRADINGOPS_API_TOKEN" in out
    assert not ChangeRequest.objects.exists()
