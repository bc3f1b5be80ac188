"""Gated promotion with four-eyes approval, aliases, shadow signals and one-step rollback."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from common.exceptions import ValidationFailed
from execution.models import Order
from execution.services import trading_cycle_run
from models_registry.models import ModelAlias, PromotionApproval, PromotionEvent, Signal
from models_registry.selectors import aliases_of, model_version_champion
from models_registry.services import (
    PromotionBlocked,
    model_alias_clear,
    model_version_alias_set,
    model_version_approve,
    model_version_promote,
    model_version_rollback,
    model_version_train,
    promotion_gates,
)
from tests.models_registry.conftest import make_the_newest_bars_zigzag

pytestmark = pytest.mark.django_db


@pytest.fixture
def candidate(champion, model_operator):
    """A second version of the champion's model, trained by Dana."""
    return model_version_train(
        model_name=champion.registered_model.name, params={"C": 0.05}, actor=model_operator
    )


def champion_of(version) -> object:
    return model_version_champion(registered_model_id=version.registered_model_id)


def test_without_approval_the_promotion_is_blocked_and_the_block_is_recorded(
    candidate, champion, lenient_gates, model_operator
):
    lenient_gates.MODELS_GATE_REQUIRE_APPROVAL = True

    with pytest.raises(PromotionBlocked, match="approval") as blocked:
        model_version_promote(model_version=candidate, actor=model_operator, reason="better")

    assert champion_of(candidate) == champion
    assert [g.name for g in blocked.value.gates if not g.passed] == ["approval"]
    event = PromotionEvent.objects.get(action="blocked")
    assert (event.model_version, event.actor, event.reason) == (candidate, model_operator, "better")
    assert {g["name"]: g["passed"] for g in event.gates}["approval"] is False


def test_each_failing_gate_is_listed_with_its_value_and_limit(candidate, lenient_gates):
    lenient_gates.MODELS_GATE_MIN_AUC = 0.99
    lenient_gates.MODELS_GATE_MAX_BACKTEST_DRAWDOWN = -1.0

    with pytest.raises(PromotionBlocked) as blocked:
        model_version_promote(model_version=candidate, reason="try")

    message = str(blocked.value)
    assert "2 gate(s)" in message
    assert f"min_auc: {candidate.metrics['roc_auc']!r} (limit 0.99)" in message
    assert "backtest_drawdown" in message


def test_a_worse_candidate_than_the_champion_on_the_same_hold_out_is_blocked(
    candidate, lenient_gates
):
    lenient_gates.MODELS_GATE_METRIC_TOLERANCE = -1.0  # demand a full point better

    results = {g.name: g for g in promotion_gates(model_version=candidate)}

    assert not results["auc_vs_champion"].passed
    assert not results["log_loss_vs_champion"].passed


def test_recent_data_that_drifted_from_the_training_data_blocks(candidate, lenient_gates):
    make_the_newest_bars_zigzag()

    results = {g.name: g for g in promotion_gates(model_version=candidate)}

    assert not results["no_drift"].passed
    assert results["no_drift"].value >= 0.5


def test_self_approval_is_refused(candidate, model_operator):
    from django.contrib.auth.models import Permission

    model_operator.user_permissions.add(Permission.objects.get(codename="approve_promotion"))
    trainer = type(model_operator).objects.get(pk=model_operator.pk)

    with pytest.raises(ValidationFailed, match="self-approval"):
        model_version_approve(model_version=candidate, actor=trainer, reason="looks fine to me")
    assert not PromotionApproval.objects.exists()


def test_approval_needs_the_permission_not_a_group_name(candidate, outsider):
    with pytest.raises(ValidationFailed, match="may not approve"):
        model_version_approve(model_version=candidate, actor=outsider, reason="sure")


def test_an_approved_candidate_becomes_champion_with_actor_reason_and_request_id(
    candidate, champion, lenient_gates, model_operator, model_risk_officer
):
    lenient_gates.MODELS_GATE_REQUIRE_APPROVAL = True
    model_version_approve(
        model_version=candidate, actor=model_risk_officer, reason="reviewed the card"
    )

    model_version_promote(
        model_version=candidate, actor=model_operator, reason="beats v1", request_id="req-42"
    )

    assert champion_of(candidate) == candidate
    candidate.refresh_from_db()
    assert candidate.ever_champion
    event = PromotionEvent.objects.get(action="promote")
    assert event.previous_version == champion
    assert (event.actor_name, event.reason, event.request_id) == ("dana", "beats v1", "req-42")
    assert {g["name"] for g in event.gates} >= {"approval", "no_drift", "min_auc"}
    assert all(g["passed"] for g in event.gates)


def test_a_promotion_without_a_reason_is_refused(candidate, lenient_gates):
    with pytest.raises(ValidationFailed, match="reason is required"):
        model_version_promote(model_version=candidate, reason="  ")


def test_the_shadow_predicts_on_live_bars_but_never_trades(
    strategy, candidate, next_bar, model_operator
):
    model_version_alias_set(
        model_version=candidate, alias="shadow", actor=model_operator, reason="watch it live"
    )

    trading_cycle_run()
    next_bar()
    trading_cycle_run()

    shadow = Signal.objects.filter(model_version=candidate)
    assert shadow.count() == 6
    assert all(s.shadow for s in shadow)
    assert not Signal.objects.filter(
        model_version=strategy.registered_model.versions.get(version=1), shadow=True
    ).exists()
    assert not Order.objects.filter(signal__shadow=True).exists()


def test_scored_shadow_signals_feed_the_shadow_period_gate(
    strategy, candidate, next_bar, lenient_gates, model_operator
):
    lenient_gates.MODELS_GATE_MIN_SHADOW_SIGNALS = 6
    lenient_gates.MODELS_GATE_MIN_SHADOW_HIT_RATE = 0.0
    model_version_alias_set(
        model_version=candidate, alias="shadow", actor=model_operator, reason="watch it live"
    )
    for _ in range(2):
        trading_cycle_run()
        next_bar()

    before = {g.name: g for g in promotion_gates(model_version=candidate)}
    trading_cycle_run()
    next_bar()
    after = {g.name: g for g in promotion_gates(model_version=candidate)}

    assert before["shadow_period"].value == 6 and before["shadow_period"].passed
    assert after["shadow_period"].value == 9


def test_a_champion_cannot_also_be_shadow_and_promotion_drops_the_shadow_alias(
    candidate, champion, lenient_gates, model_operator
):
    with pytest.raises(ValidationFailed, match="cannot also be shadow"):
        model_version_alias_set(model_version=champion, alias="shadow", actor=None, reason="no")
    model_version_alias_set(model_version=candidate, alias="shadow", actor=None, reason="watch")

    model_version_promote(model_version=candidate, reason="graduates from shadow")

    assert aliases_of(model_version=candidate) == ["champion"]


def test_an_alias_can_be_cleared_but_not_the_champion(candidate, champion):
    model_version_alias_set(model_version=candidate, alias="challenger", actor=None, reason="x")

    model_alias_clear(
        registered_model=candidate.registered_model, alias="challenger", actor=None, reason="done"
    )

    assert not ModelAlias.objects.filter(alias="challenger").exists()
    with pytest.raises(ValidationFailed, match="moved by promotion or rollback"):
        model_alias_clear(
            registered_model=champion.registered_model, alias="champion", actor=None, reason="x"
        )


def test_rollback_restores_the_previous_champion_in_one_step(
    candidate, champion, lenient_gates, model_operator
):
    model_version_promote(model_version=candidate, reason="new champion")

    restored = model_version_rollback(
        registered_model=champion.registered_model,
        actor=model_operator,
        reason="live hit rate collapsed",
        request_id="req-7",
    )

    assert restored == champion
    assert champion_of(champion) == champion
    event = PromotionEvent.objects.get(action="rollback")
    assert (event.model_version, event.previous_version) == (champion, candidate)
    assert (event.actor, event.reason, event.request_id) == (
        model_operator,
        "live hit rate collapsed",
        "req-7",
    )


def test_a_second_rollback_goes_further_back_not_forth(history, lenient_gates):
    v1 = model_version_train(model_name="m", promote=True)
    v2 = model_version_train(model_name="m", params={"C": 0.5})
    v3 = model_version_train(model_name="m", params={"C": 0.1})
    model_version_promote(model_version=v2, reason="v2")
    model_version_promote(model_version=v3, reason="v3")

    first = model_version_rollback(registered_model=v1.registered_model, reason="v3 is bad")
    second = model_version_rollback(registered_model=v1.registered_model, reason="v2 too")

    assert (first, second) == (v2, v1)


def test_rollback_to_a_named_version_needs_it_to_have_been_champion(
    candidate, champion, lenient_gates
):
    with pytest.raises(ValidationFailed, match="was never champion"):
        model_version_rollback(
            registered_model=champion.registered_model, to_version=candidate, reason="x"
        )
    model_version_promote(model_version=candidate, reason="promote")
    with pytest.raises(ValidationFailed, match="already the champion"):
        model_version_rollback(
            registered_model=champion.registered_model, to_version=candidate, reason="x"
        )


def test_rollback_without_an_earlier_champion_says_so(champion):
    with pytest.raises(ValidationFailed, match="no earlier champion"):
        model_version_rollback(registered_model=champion.registered_model, reason="panic")


def test_rollback_takes_effect_at_the_next_cycle_of_a_running_worker(
    strategy, candidate, champion, lenient_gates, next_bar
):
    """The same process keeps both models warm in memory; the alias decides each cycle."""
    model_version_promote(model_version=candidate, reason="new champion")
    trading_cycle_run()
    assert set(Signal.objects.values_list("model_version", flat=True)) == {candidate.pk}

    model_version_rollback(registered_model=strategy.registered_model, reason="bad fills")
    next_bar()
    trading_cycle_run()

    newest = Signal.objects.filter(
        bar_timestamp=Signal.objects.latest("bar_timestamp").bar_timestamp
    )
    assert {s.model_version_id for s in newest} == {champion.pk}
    assert not any(s.shadow for s in newest)


def test_rollback_model_command_restores_and_records_the_actor(
    strategy, candidate, champion, lenient_gates, model_operator, shell_token, capsys
):
    model_version_promote(model_version=candidate, reason="new champion")
    shell_token(model_operator)

    call_command(
        "rollback_model",
        "--strategy",
        strategy.name,
        "--actor",
        "dana",
        "--reason",
        "drawdown",
        "--request-id",
        "req-rb",
    )

    assert json.loads(capsys.readouterr().out)["champion"] == str(champion)
    event = PromotionEvent.objects.get(action="rollback")
    assert (event.actor_name, event.reason, event.request_id) == ("dana", "drawdown", "req-rb")


def test_rollback_model_command_to_a_named_version(
    strategy, candidate, champion, lenient_gates, capsys
):
    model_version_promote(model_version=candidate, reason="new champion")
    model_version_rollback(registered_model=strategy.registered_model, reason="back")

    call_command("rollback_model", "--strategy", strategy.name, "--to", "2")

    assert champion_of(champion) == candidate


def test_rollback_model_command_reports_errors_plainly(strategy):
    with pytest.raises(CommandError, match="No strategy or model named 'nope'"):
        call_command("rollback_model", "--strategy", "nope")
    with pytest.raises(CommandError, match="no earlier champion"):
        call_command("rollback_model", "--strategy", strategy.name)


def test_the_full_cycle_through_the_commands(
    strategy, model_risk_officer, shell_token, monkeypatch, capsys, settings
):
    """Train, see the gates, approve (bob, by his token), promote, shadow the other, roll back
    (svc-models: no token)."""
    settings.MODELS_GATE_MIN_AUC = 0.0
    settings.MODELS_GATE_MAX_BACKTEST_DRAWDOWN = 1.0
    settings.MODELS_GATE_METRIC_TOLERANCE = 1.0
    call_command("train_model", "--strategy", strategy.name, "--params", '{"C": 0.2}')
    call_command("promote_model", "--strategy", strategy.name, "--model-version", "2", "--check")
    gates = json.loads(capsys.readouterr().out.splitlines()[-1])["gates"]
    assert [g["name"] for g in gates if not g["passed"]] == ["approval"]

    with pytest.raises(CommandError, match="blocked by 1 gate"):
        call_command(
            "promote_model", "--strategy", strategy.name, "--model-version", "2", "--reason", "x"
        )
    shell_token(model_risk_officer)
    call_command(
        "approve_model",
        "--strategy",
        strategy.name,
        "--model-version",
        "2",
        "--actor",
        "bob",
        "--reason",
        "card reviewed",
    )
    monkeypatch.delenv("TRADINGOPS_API_TOKEN")
    call_command(
        "promote_model", "--strategy", strategy.name, "--model-version", "2", "--reason", "ok"
    )
    call_command(
        "set_model_alias", "--strategy", strategy.name, "--alias", "shadow", "--model-version", "1"
    )
    call_command("rollback_model", "--strategy", strategy.name, "--reason", "undo")

    registered = strategy.registered_model
    assert model_version_champion(registered_model_id=registered.pk).version == 1
    assert list(
        PromotionEvent.objects.filter(registered_model=registered)
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["bootstrap", "blocked", "approve", "promote", "assign", "rollback"]


def test_is_champion_follows_the_alias(candidate, champion, lenient_gates):
    model_version_promote(model_version=candidate, reason="v2")

    assert candidate.is_champion
    assert not champion.is_champion
