"""Each promotion gate blocks with its own reason and values (pure gate logic)."""

from __future__ import annotations

import dataclasses

import pytest

from models_registry.gates import GateThresholds, PromotionEvidence, evaluate, failing

LIMITS = GateThresholds(
    metric_tolerance=0.02,
    min_auc=0.5,
    max_log_loss=0.7,
    max_auc=0.8,
    max_backtest_drawdown=0.1,
    min_shadow_signals=10,
    min_shadow_hit_rate=0.5,
    require_approval=True,
)
GOOD = PromotionEvidence(
    candidate={"roc_auc": 0.56, "log_loss": 0.68, "backtest_max_drawdown": 0.05},
    champion={"roc_auc": 0.55, "log_loss": 0.69},
    drift_share=0.0,
    drifted=False,
    shadow_signals=30,
    shadow_hit_rate=0.55,
    approved_by="bob",
)


def blocked_by(evidence: PromotionEvidence, limits: GateThresholds = LIMITS) -> list[str]:
    return [gate.name for gate in failing(evaluate(evidence, limits))]


def test_good_evidence_passes_every_gate():
    results = evaluate(GOOD, LIMITS)

    assert failing(results) == []
    assert [r.name for r in results] == [
        "auc_vs_champion",
        "log_loss_vs_champion",
        "min_auc",
        "max_log_loss",
        "leakage_ceiling",
        "backtest_drawdown",
        "no_drift",
        "shadow_period",
        "shadow_hit_rate",
        "approval",
    ]


def test_an_auc_below_the_champion_minus_the_tolerance_blocks_with_both_values():
    evidence = dataclasses.replace(GOOD, candidate={**GOOD.candidate, "roc_auc": 0.52})

    (gate,) = failing(evaluate(evidence, LIMITS))

    assert gate.name == "auc_vs_champion"
    assert gate.value == 0.52
    assert gate.threshold == pytest.approx(0.53)
    assert "champion 0.5500" in gate.message


def test_a_log_loss_worse_than_the_champion_plus_tolerance_blocks():
    evidence = dataclasses.replace(GOOD, candidate={**GOOD.candidate, "log_loss": 0.695})
    limits = dataclasses.replace(LIMITS, max_log_loss=0.8)

    assert blocked_by(evidence, limits) == []
    worse = dataclasses.replace(GOOD, candidate={**GOOD.candidate, "log_loss": 0.75})
    assert blocked_by(worse, limits) == ["log_loss_vs_champion"]


def test_absolute_floors_block_even_without_a_champion():
    evidence = dataclasses.replace(
        GOOD, champion=None, candidate={**GOOD.candidate, "roc_auc": 0.49, "log_loss": 0.71}
    )

    assert blocked_by(evidence) == ["min_auc", "max_log_loss"]


def test_a_too_good_hold_out_auc_is_blocked_as_probable_look_ahead():
    evidence = dataclasses.replace(GOOD, candidate={**GOOD.candidate, "roc_auc": 0.97})

    assert blocked_by(evidence) == ["leakage_ceiling"]


def test_a_backtest_drawdown_beyond_the_limit_blocks():
    evidence = dataclasses.replace(
        GOOD, candidate={**GOOD.candidate, "backtest_max_drawdown": 0.25}
    )

    assert blocked_by(evidence) == ["backtest_drawdown"]


def test_drift_of_training_data_against_recent_data_blocks():
    assert blocked_by(dataclasses.replace(GOOD, drifted=True, drift_share=0.66)) == ["no_drift"]


def test_unknown_drift_blocks_rather_than_passes():
    assert blocked_by(dataclasses.replace(GOOD, drifted=None, drift_share=None)) == ["no_drift"]


def test_a_short_or_poor_shadow_period_blocks_when_required():
    short = dataclasses.replace(GOOD, shadow_signals=3)
    poor = dataclasses.replace(GOOD, shadow_hit_rate=0.4)

    assert blocked_by(short) == ["shadow_period"]
    assert blocked_by(poor) == ["shadow_hit_rate"]
    assert blocked_by(short, dataclasses.replace(LIMITS, min_shadow_signals=0)) == []


def test_a_missing_approval_blocks_unless_approval_is_switched_off():
    unapproved = dataclasses.replace(GOOD, approved_by=None)

    assert blocked_by(unapproved) == ["approval"]
    assert blocked_by(unapproved, dataclasses.replace(LIMITS, require_approval=False)) == []


def test_missing_metrics_fail_their_gates_instead_of_passing():
    evidence = dataclasses.replace(GOOD, candidate={}, champion={})

    assert set(blocked_by(evidence)) >= {"min_auc", "max_log_loss", "backtest_drawdown"}
