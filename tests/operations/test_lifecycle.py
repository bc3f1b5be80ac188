"""trading_shutdown and trading_startup: what each mode does to orders, the risk state and the
schedule, what it records, and when startup refuses."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from audit.models import AuditEvent
from execution.models import Order
from execution.services import trading_cycle_run
from operations.lifecycle import trading_shutdown, trading_startup
from operations.models import TradingLifecycleEvent
from operations.schedule import periodic_tasks_setup
from risk.models import ChangeRequest, KillSwitch, KillSwitchEvent, RiskAction, TradingStateSetting
from risk.services import change_request_approve

pytestmark = pytest.mark.django_db


def _global_state() -> str:
    row = TradingStateSetting.objects.filter(scope="global", key="").first()
    return row.state if row else "ACTIVE"


@pytest.fixture
def working_orders(strategy):
    """The loop ran once: orders are at the broker, filling at the next bar's open."""
    periodic_tasks_setup()
    trading_cycle_run()
    working = Order.objects.filter(status="new")
    assert working.exists()
    return working


def test_graceful_shutdown_halts_cancels_what_did_not_fill_and_stops_beat(
    working_orders, desk_operator
):
    open_before = set(working_orders.values_list("pk", flat=True))
    PeriodicTask.objects.filter(name="drift-reports").update(enabled=False)  # paused on purpose

    report = trading_shutdown(
        mode="graceful",
        reason="release 2026.12",
        actor=desk_operator,
        request_id="req-7",
        order_timeout_s=0,
        drain_workers=False,
    )

    assert report.outcome == "done"
    assert _global_state() == "HALTED"
    assert set(Order.objects.filter(status="canceled").values_list("pk", flat=True)) == open_before
    assert not PeriodicTask.objects.filter(
        enabled=True, name__in=["ingest-bars", "predict-and-trade"]
    ).exists()
    event = TradingLifecycleEvent.objects.get()
    assert (event.kind, event.mode, event.actor, event.request_id) == (
        "shutdown",
        "graceful",
        desk_operator,
        "req-7",
    )
    stop_beat = next(s for s in event.steps if s["step"] == "stop_beat")
    assert "drift-reports" not in stop_beat["disabled"] and "ingest-bars" in stop_beat["disabled"]
    audit = RiskAction.objects.get(action="trading_state_change")
    assert (audit.actor_name, audit.request_id) == ("oscar", "req-7")
    assert "release 2026.12" in audit.reason
    chained = AuditEvent.objects.get(action="operations.trading_shutdown")
    assert (chained.actor, chained.reason, chained.request_id, chained.object_id) == (
        desk_operator,
        "release 2026.12",
        "req-7",
        str(event.pk),
    )
    assert chained.payload["outcome"] == "done"


def test_graceful_shutdown_lets_working_orders_fill_before_the_timeout(
    working_orders, next_bar, desk_operator
):
    next_bar()  # the fill price (next bar's open) now exists

    report = trading_shutdown(
        mode="graceful",
        reason="maintenance",
        actor=desk_operator,
        order_timeout_s=5,
        drain_workers=False,
    )

    assert not Order.objects.filter(status__in=["pending_new", "new", "canceled"]).exists()
    step = next(s for s in report.steps if s["step"] == "finish_open_orders")
    assert step["ok"] and step["cancelled"] == 0


def test_emergency_shutdown_engages_the_kill_switch_and_cancels_everything(
    working_orders, desk_operator, shell_token, capsys
):
    shell_token(desk_operator)

    call_command(
        "trading_shutdown",
        "--mode",
        "emergency",
        "--reason",
        "runaway orders",
        "--actor",
        "oscar",
        "--request-id",
        "req-9",
        "--json",
    )

    report = json.loads(capsys.readouterr().out)
    assert report["outcome"] == "done"
    assert KillSwitch.objects.get().engaged
    assert not Order.objects.filter(status="new").exists()
    event = KillSwitchEvent.objects.get()
    assert (event.actor_name, event.request_id) == ("oscar", "req-9")
    assert "runaway orders" in event.reason
    assert PeriodicTask.objects.filter(enabled=True, name="ingest-bars").exists()  # data flows


def test_shutdown_needs_a_reason_and_a_permitted_actor(
    working_orders, outsider, desk_operator, shell_token
):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="API token"):  # a name alone proves nothing
        call_command("trading_shutdown", "--mode", "emergency", "--reason", "x", "--actor", "oscar")
    shell_token(outsider)
    with pytest.raises(CommandError, match="operate_killswitch"):
        call_command("trading_shutdown", "--mode", "emergency", "--reason", "x")
    shell_token(desk_operator)
    with pytest.raises(CommandError, match="reason"):
        call_command("trading_shutdown", "--mode", "graceful", "--reason", " ")
    with pytest.raises(CommandError, match="does not match"):
        call_command("trading_shutdown", "--mode", "graceful", "--reason", "x", "--actor", "zed")

    assert not KillSwitch.objects.filter(engaged=True).exists()
    assert not TradingLifecycleEvent.objects.exists()


def test_startup_refuses_while_the_kill_switch_is_engaged_and_says_what_to_do(
    working_orders, desk_operator, shell_token, capsys
):
    trading_shutdown(mode="emergency", reason="drill", actor=desk_operator)
    capsys.readouterr()
    shell_token(desk_operator)

    with pytest.raises(SystemExit) as exit_info:
        call_command("trading_startup", "--reason", "drill over", "--json")

    report = json.loads(capsys.readouterr().out)
    assert exit_info.value.code == 1 and report["outcome"] == "refused"
    kill = next(s for s in report["steps"] if s["step"] == "kill_switch")
    assert not kill["ok"] and "/api/v1/risk/kill-switch/release/" in kill["detail"]
    assert not any(s["step"] == "start_beat" for s in report["steps"])


def test_startup_after_a_graceful_shutdown_reenables_beat_then_needs_four_eyes(
    working_orders, desk_operator, risk_officer, shell_token, capsys
):
    PeriodicTask.objects.filter(name="drift-reports").update(enabled=False)
    trading_shutdown(
        mode="graceful",
        reason="release",
        actor=desk_operator,
        order_timeout_s=0,
        drain_workers=False,
    )
    capsys.readouterr()
    shell_token(desk_operator)

    with pytest.raises(SystemExit) as exit_info:
        call_command("trading_startup", "--reason", "release done", "--actor", "oscar")

    out = capsys.readouterr().out
    assert exit_info.value.code == 3
    request = ChangeRequest.objects.get(kind="state_loosen", status="pending")
    assert f"change request #{request.pk}" in out and "risk officer other than oscar" in out
    assert _global_state() == "HALTED"  # not before the second person approves
    enabled = set(PeriodicTask.objects.filter(enabled=True).values_list("name", flat=True))
    assert {"ingest-bars", "predict-and-trade"} <= enabled and "drift-reports" not in enabled
    event = TradingLifecycleEvent.objects.filter(kind="startup").get()
    assert event.outcome == "pending_approval" and event.actor == desk_operator
    assert {s["step"] for s in event.steps} >= {
        "catch_up_bars",
        "data_fresh",
        "broker_reachable",
        "reconciliation_clean",
        "champions_verified",
        "kill_switch",
        "live_readiness",
    }

    change_request_approve(actor=risk_officer, change_request_id=request.pk, reason="checked")
    again = trading_startup(reason="approved", actor=desk_operator)

    assert _global_state() == "ACTIVE" and again.outcome == "done"


def test_startup_refuses_when_a_champion_artifact_is_corrupted(
    strategy, artifact_dir, desk_operator
):
    champion = strategy.registered_model.versions.get()
    (artifact_dir / champion.artifact_path).write_bytes(b"tampered")

    report = trading_startup(reason="morning", actor=desk_operator, catch_up=False)

    assert report.outcome == "refused"
    failed = [s["step"] for s in report.steps if not s["ok"]]
    assert failed == ["champions_verified"]


def test_startup_refuses_a_live_broker_until_readiness_passes(strategy, settings, desk_operator):
    settings.ALPACA_LIVE_TRADING = True

    report = trading_startup(reason="go live", actor=desk_operator, catch_up=False)

    live = next(s for s in report.steps if s["step"] == "live_readiness")
    assert report.outcome == "refused" and not live["ok"]
    assert "kill-switch-tested" in live["detail"]
