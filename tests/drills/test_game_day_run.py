"""Two cheap game days end to end against a stack the command starts itself."""

from __future__ import annotations

import json
import subprocess
import sys
from types import SimpleNamespace

import pytest
from django.core.management import call_command

from drills.gamedays.runner import Timeline, scenario_run
from drills.gamedays.scenarios import scenario_get
from drills.models import GameDay


@pytest.mark.django_db
def test_primary_provider_down_and_the_four_eyes_kill_switch_pass_and_are_recorded(capsys):
    call_command(
        "game_day",
        "--scenario=primary-provider-down",
        "--scenario=kill-switch-four-eyes",
        "--json",
    )

    rows = {row["scenario"]: row for row in json.loads(capsys.readouterr().out)["game_days"]}
    assert rows["primary-provider-down"]["passed"] is True, rows["primary-provider-down"]
    assert rows["kill-switch-four-eyes"]["passed"] is True, rows["kill-switch-four-eyes"]
    assert rows["primary-provider-down"]["data_lost"] == 0
    assert rows["primary-provider-down"]["ledger_breaks"] == 0
    assert rows["kill-switch-four-eyes"]["ledger_breaks"] == 0
    provider_down = GameDay.objects.get(scenario="primary-provider-down")
    kinds = [event["kind"] for event in provider_down.timeline]
    assert kinds[0] == "inject"
    assert {"detect", "heal", "recover"} <= set(kinds)
    assert provider_down.time_to_detect_s is not None
    kill_switch = GameDay.objects.get(scenario="kill-switch-four-eyes")
    heal = next(event for event in kill_switch.timeline if event["kind"] == "heal")
    assert "its own approval refused (403)" in heal["detail"]
    assert kill_switch.orders_affected >= 0


def test_times_count_from_the_injection_after_a_precondition_wait():
    timeline = Timeline()
    timeline.add("note", "waiting for an open position")
    timeline.started -= 30  # the precondition then waited 30 s
    timeline.add("precondition", "AAPL held long (after 30.0 s)")
    timeline.rebase()
    injected_at = timeline.add("inject", "slide")

    began, ended = (event["t_s"] for event in timeline.events[:2])
    assert -31 < began <= -30 < ended <= 0  # what came before keeps its place, before zero
    assert 0 <= injected_at < 1  # detection and recovery count from here


@pytest.mark.django_db
def test_a_scenario_on_a_stack_its_predecessor_left_broken_is_refused_not_run():
    dead = subprocess.Popen([sys.executable, "-c", "raise SystemExit(1)"])
    dead.wait(timeout=30)
    stack = SimpleNamespace(processes={"worker": dead})
    game = SimpleNamespace(stack=stack, context=SimpleNamespace(stack=stack), probe=lambda: None)

    result = scenario_run(scenario_get("beat-stopped"), game)

    assert result.passed is False
    assert result.failures == [
        "refused: the stack is not healthy before the scenario: worker exited (1)"
    ]
    assert [event["kind"] for event in result.timeline] == ["error"]  # nothing injected
