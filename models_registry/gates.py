"""Promotion gates (pure: no ORM). Each gate says whether it passed, with its value and limit.

A blocked promotion shows every gate, so an operator sees at once what to fix.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class GateThresholds:
    metric_tolerance: float  # candidate may trail the champion by this much on AUC/log loss
    min_auc: float
    max_log_loss: float
    max_auc: float  # above this the hold-out is "too good to be true": probable look-ahead
    max_backtest_drawdown: float
    min_shadow_signals: int  # 0 disables the shadow-period gate
    min_shadow_hit_rate: float
    require_approval: bool


@dataclass(frozen=True)
class GateResult:
    name: str
    passed: bool
    value: object
    threshold: object
    message: str

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class PromotionEvidence:
    """Everything the gates judge, gathered by the service."""

    candidate: dict[str, float]  # hold-out metrics and backtest of the candidate
    champion: dict[str, float] | None  # the champion scored on the same hold-out
    drift_share: float | None  # share of drifted features, training vs recent data
    drifted: bool | None
    shadow_signals: int
    shadow_hit_rate: float | None
    approved_by: str | None  # a permitted person other than the trainer, or None


def _number(value: object) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan
    return number


def _vs_champion(evidence: PromotionEvidence, tolerance: float) -> list[GateResult]:
    if evidence.champion is None:
        return [GateResult("vs_champion", True, None, None, "no champion to compare with")]
    auc, champion_auc = (
        _number(evidence.candidate.get("roc_auc")),
        _number(evidence.champion.get("roc_auc")),
    )
    loss, champion_loss = (
        _number(evidence.candidate.get("log_loss")),
        _number(evidence.champion.get("log_loss")),
    )
    auc_floor, loss_ceiling = champion_auc - tolerance, champion_loss + tolerance
    return [
        GateResult(
            "auc_vs_champion",
            auc >= auc_floor,
            auc,
            auc_floor,
            f"hold-out AUC {auc:.4f} vs champion {champion_auc:.4f} - tolerance {tolerance}",
        ),
        GateResult(
            "log_loss_vs_champion",
            loss <= loss_ceiling,
            loss,
            loss_ceiling,
            f"hold-out log loss {loss:.4f} vs champion {champion_loss:.4f} + tolerance {tolerance}",
        ),
    ]


def _floors(evidence: PromotionEvidence, limits: GateThresholds) -> list[GateResult]:
    auc = _number(evidence.candidate.get("roc_auc"))
    loss = _number(evidence.candidate.get("log_loss"))
    drawdown = _number(evidence.candidate.get("backtest_max_drawdown"))
    return [
        GateResult("min_auc", auc >= limits.min_auc, auc, limits.min_auc, "hold-out AUC floor"),
        GateResult(
            "max_log_loss",
            loss <= limits.max_log_loss,
            loss,
            limits.max_log_loss,
            "hold-out log loss ceiling",
        ),
        GateResult(
            "leakage_ceiling",
            not auc > limits.max_auc,
            auc,
            limits.max_auc,
            "hold-out AUC this high on next-bar direction means look-ahead in the features",
        ),
        GateResult(
            "backtest_drawdown",
            drawdown <= limits.max_backtest_drawdown,
            drawdown,
            limits.max_backtest_drawdown,
            "maximum drawdown of the cost-aware hold-out backtest",
        ),
    ]


def _drift(evidence: PromotionEvidence) -> GateResult:
    if evidence.drifted is None:
        return GateResult("no_drift", False, None, False, "no recent data to check drift against")
    return GateResult(
        "no_drift",
        not evidence.drifted,
        evidence.drift_share,
        False,
        "training data against recent data (share of drifted features)",
    )


def _shadow(evidence: PromotionEvidence, limits: GateThresholds) -> list[GateResult]:
    if limits.min_shadow_signals <= 0:
        return []
    hit_rate = evidence.shadow_hit_rate
    return [
        GateResult(
            "shadow_period",
            evidence.shadow_signals >= limits.min_shadow_signals,
            evidence.shadow_signals,
            limits.min_shadow_signals,
            "scored shadow signals before promotion",
        ),
        GateResult(
            "shadow_hit_rate",
            hit_rate is not None and hit_rate >= limits.min_shadow_hit_rate,
            hit_rate,
            limits.min_shadow_hit_rate,
            "live hit rate of the shadow signals",
        ),
    ]


def _approval(evidence: PromotionEvidence, limits: GateThresholds) -> list[GateResult]:
    if not limits.require_approval:
        return []
    return [
        GateResult(
            "approval",
            evidence.approved_by is not None,
            evidence.approved_by,
            "approved by a permitted person who did not train the model",
            "four-eyes approval",
        )
    ]


def evaluate(evidence: PromotionEvidence, limits: GateThresholds) -> list[GateResult]:
    """Every gate's result, in a fixed order; the promotion passes only if all pass."""
    return [
        *_vs_champion(evidence, limits.metric_tolerance),
        *_floors(evidence, limits),
        _drift(evidence),
        *_shadow(evidence, limits),
        *_approval(evidence, limits),
    ]


def failing(results: list[GateResult]) -> list[GateResult]:
    return [result for result in results if not result.passed]
