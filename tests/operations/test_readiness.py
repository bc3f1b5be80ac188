"""The readiness checklist: items from code, automatic checks from the live system, the gate
that keeps the broker on paper, `readiness --json` and the `check --deploy` system check."""

from __future__ import annotations

import json

import pytest
from django.core.checks import run_checks
from django.core.management import call_command

from audit.models import AuditChainVerification
from operations.models import ReadinessItem
from operations.readiness import (
    ITEMS,
    blocking_items,
    check_run,
    live_trading_allowed,
    readiness_evaluate,
    readiness_items_load,
)
from risk.services import change_request_approve, kill_switch_engage, kill_switch_release_request

pytestmark = pytest.mark.django_db


def test_items_load_is_idempotent_and_keeps_what_operators_set():
    readiness_items_load()
    item = ReadinessItem.objects.get(key="on-call-rota")
    item.owner, item.status, item.evidence = "dana", "pass", "rota in the wiki, page 4"
    item.save()

    readiness_items_load()

    assert ReadinessItem.objects.count() == len(ITEMS)
    item.refresh_from_db()
    assert (item.owner, item.status, item.evidence) == ("dana", "pass", "rota in the wiki, page 4")
    categories = set(ReadinessItem.objects.values_list("category", flat=True))
    assert categories == {
        "environments",
        "monitoring",
        "risk_controls",
        "model_lifecycle",
        "operations",
        "compliance",
    }


def test_kill_switch_drill_passes_only_after_an_engage_and_a_four_eyes_release(
    desk_operator, risk_officer
):
    never = check_run("kill_switch_tested")
    kill_switch_engage(actor=desk_operator, reason="monthly drill")
    engaged_only = check_run("kill_switch_tested")
    request = kill_switch_release_request(actor=desk_operator, reason="drill over")
    change_request_approve(actor=risk_officer, change_request_id=request.pk, reason="ok")
    released = check_run("kill_switch_tested")

    assert never.status == "fail" and "no kill switch engage" in never.evidence
    assert engaged_only.status == "fail" and "never released" in engaged_only.evidence
    assert released.status == "pass"
    assert "oscar" in released.evidence and "rita" in released.evidence


def test_kill_switch_drill_older_than_the_limit_fails(settings, desk_operator, frozen_clock):
    from datetime import timedelta

    kill_switch_engage(actor=desk_operator, reason="drill")
    frozen_clock.advance(timedelta(days=settings.OPERATIONS_KILL_SWITCH_TEST_MAX_AGE_DAYS + 1))

    assert check_run("kill_switch_tested").status == "fail"


def test_the_latest_audit_chain_verification_decides(frozen_clock):
    from datetime import timedelta

    def verification(valid: bool, minutes_ago: int) -> None:
        AuditChainVerification.objects.create(
            verified_at=frozen_clock.now() - timedelta(minutes=minutes_ago),
            valid=valid,
            events_checked=10,
            head_sequence=10,
            broken_sequence=None if valid else 4,
        )

    never = check_run("audit_chain_verified")
    verification(True, 30)
    intact = check_run("audit_chain_verified")
    verification(False, 5)
    broken = check_run("audit_chain_verified")

    assert never.status == "fail" and "never verified" in never.evidence
    assert intact.status == "pass" and "chain intact" in intact.evidence
    assert broken.status == "fail" and "broken chain" in broken.evidence


def test_champions_verified_fails_when_an_artifact_is_corrupted(strategy, artifact_dir):
    ok = check_run("champions_verified")
    champion = strategy.registered_model.versions.get()
    (artifact_dir / champion.artifact_path).write_bytes(b"tampered")
    corrupted = check_run("champions_verified")

    assert ok.status == "pass" and strategy.name in ok.evidence
    assert corrupted.status == "fail" and "sha256" in corrupted.evidence


def test_alert_rules_check_fails_on_a_rule_linking_a_missing_runbook(settings, tmp_path):
    ok = check_run("alert_rules_loaded")
    (tmp_path / "extra.yml").write_text(
        "groups:\n- name: g\n  rules:\n  - alert: X\n    expr: up == 0\n"
        "    annotations: {runbook_url: docs/runbooks/missing.md}\n"
    )
    settings.OPERATIONS_ALERT_RULES_DIR = tmp_path
    broken = check_run("alert_rules_loaded")

    assert ok.status == "pass"
    assert broken.status == "fail" and "missing.md" in broken.evidence


def test_a_check_that_raises_is_a_failure_with_the_error(monkeypatch):
    from operations import readiness

    def boom():
        raise RuntimeError("database went away")

    monkeypatch.setitem(readiness.CHECKS, "data_fresh", boom)

    result = check_run("data_fresh")

    assert result.status == "fail" and "database went away" in result.evidence


def test_another_app_registers_a_check_and_an_unregistered_key_is_unknown(monkeypatch):
    from operations import readiness

    monkeypatch.setattr(readiness, "_registered_checks", {})
    unregistered = check_run("drill_passed")
    readiness.readiness_check_register(
        "drill_passed", lambda: readiness.CheckResult("pass", "drilled")
    )

    assert unregistered.status == "unknown" and "drill_passed" in unregistered.evidence
    assert check_run("drill_passed") == readiness.CheckResult("pass", "drilled")


def test_readiness_json_lists_every_item_and_exits_1_when_a_required_item_fails(capsys):
    with pytest.raises(SystemExit) as exit_info:
        call_command("readiness", "--json")

    body = json.loads(capsys.readouterr().out)
    assert exit_info.value.code == 1
    assert body["ready"] is False
    assert {item["key"] for item in body["items"]} == {d.key for d in ITEMS}
    assert "kill-switch-tested" in body["blocking"]
    item = next(i for i in body["items"] if i["key"] == "kill-switch-tested")
    assert item["status"] == "fail" and item["last_checked_at"]
    assert ReadinessItem.objects.get(key="kill-switch-tested").status == "fail"


def test_readiness_exits_0_when_every_required_item_passes(capsys):
    readiness_items_load()
    ReadinessItem.objects.update(required=False)

    call_command("readiness", "--json")

    assert json.loads(capsys.readouterr().out)["ready"] is True


def test_paper_trading_is_never_blocked_but_live_is_until_readiness_passes(settings):
    paper = live_trading_allowed()
    settings.ALPACA_LIVE_TRADING = True
    live = live_trading_allowed()
    ReadinessItem.objects.update(required=False)
    live_ready = live_trading_allowed()

    assert (paper.allowed, paper.live_requested) == (True, False)
    assert (live.allowed, live.live_requested) == (False, True)
    assert any(b.startswith("kill-switch-tested: fail") for b in live.blocking)
    assert live_ready.allowed is True


def test_check_deploy_fails_while_live_is_requested_and_readiness_fails(settings):
    def errors() -> list[str]:
        messages = run_checks(include_deployment_checks=True)
        return [m.id for m in messages if m.id and m.id.startswith("operations.")]

    paper = errors()
    settings.EXECUTION_BROKER = "alpaca_live"
    live_unready = errors()
    readiness_items_load()
    ReadinessItem.objects.update(required=False)
    live_ready = errors()

    assert paper == []
    assert live_unready == ["operations.E001"]
    assert live_ready == []


def test_admin_checklist_shows_live_statuses_and_the_live_gate(admin_client):
    response = admin_client.get("/admin/operations/readinessitem/")

    assert response.status_code == 200
    body = response.content.decode()
    assert "Live trading blocked by" in body
    assert "Kill switch engaged and released (drill) recently" in body
    items = list(ReadinessItem.objects.all())
    assert all(i.last_checked_at for i in items if i.check_key)
    assert blocking_items(readiness_evaluate(save=False))


def test_runbooks_item_passes_only_once_every_runbook_is_loaded_at_its_content():
    from operations.runbooks import runbooks_load

    before = check_run("runbooks_loaded")
    runbooks_load()
    after = check_run("runbooks_loaded")

    assert before.status == "fail" and "run load_runbooks" in before.evidence
    assert after.status == "pass"
