from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from django.db.models import Max, Prefetch, QuerySet

from common.exceptions import NotFound
from marketdata.models import Bar
from marketdata.timeframes import timeframe_delta
from models_registry.choices import Alias, PromotionAction
from models_registry.models import (
    DriftReport,
    ModelAlias,
    ModelVersion,
    PromotionEvent,
    RegisteredModel,
    Signal,
)

CHAMPION_CHANGES = (PromotionAction.BOOTSTRAP, PromotionAction.PROMOTE, PromotionAction.ROLLBACK)


def registered_model_get(*, name: str) -> RegisteredModel:
    try:
        return RegisteredModel.objects.get(name=name)
    except RegisteredModel.DoesNotExist:
        raise NotFound(f"Unknown model {name!r}") from None


def registered_model_for_strategy(*, name: str) -> RegisteredModel:
    """The model a strategy trades, looked up by the strategy's name (or the model's own)."""
    found = RegisteredModel.objects.filter(strategies__name=name).first()
    if found is None:
        found = RegisteredModel.objects.filter(name=name).first()
    if found is None:
        raise NotFound(f"No strategy or model named {name!r}")
    return found


def model_version_get(*, pk: int) -> ModelVersion:
    try:
        return model_version_list().get(pk=pk)
    except ModelVersion.DoesNotExist:
        raise NotFound(f"Unknown model version {pk}") from None


def model_version_by_number(*, registered_model: RegisteredModel, version: int) -> ModelVersion:
    try:
        return model_version_list().get(registered_model=registered_model, version=version)
    except ModelVersion.DoesNotExist:
        raise NotFound(f"{registered_model} has no version {version}") from None


def model_version_list() -> QuerySet[ModelVersion]:
    """Versions with their lineage: run → dataset snapshot → feature set, in one query."""
    return ModelVersion.objects.select_related(
        "registered_model",
        "training_run__dataset_snapshot__feature_set",
        "training_run__feature_set",
    ).prefetch_related("aliases")


def model_version_for_alias(*, registered_model_id: int, alias: str) -> ModelVersion | None:
    row = (
        ModelAlias.objects.select_related("model_version__registered_model")
        .filter(registered_model_id=registered_model_id, alias=alias)
        .first()
    )
    return row.model_version if row else None


def model_version_champion(*, registered_model_id: int) -> ModelVersion | None:
    """The version that trades for this model, read afresh: every cycle sees the latest."""
    return model_version_for_alias(registered_model_id=registered_model_id, alias=Alias.CHAMPION)


def aliases_of(*, model_version: ModelVersion) -> list[str]:
    return sorted(
        ModelAlias.objects.filter(model_version=model_version).values_list("alias", flat=True)
    )


def rollback_target(*, registered_model: RegisteredModel) -> ModelVersion | None:
    """The champion before the current one, skipping versions that were rolled back from.

    Champion history is read from the promotion events, newest first; a version someone
    rolled back away from is not a place to return to.
    """
    current = model_version_champion(registered_model_id=registered_model.pk)
    events = PromotionEvent.objects.filter(
        registered_model=registered_model, alias=Alias.CHAMPION, action__in=CHAMPION_CHANGES
    ).select_related("model_version__registered_model")
    rolled_back_from = {
        e.previous_version_id for e in events if e.action == PromotionAction.ROLLBACK
    }
    for event in events:  # newest first
        version = event.model_version
        if version is None or version.pk in rolled_back_from:
            continue
        if current is None or version.pk != current.pk:
            return version
    return None


@dataclass(frozen=True)
class SignalOutcomes:
    """How a version's recent signals turned out on the bar after each."""

    signals: int
    scored: int
    hit_rate: float | None
    pnl_return: float  # sum of returns of following the calls long/flat, before costs
    confidence_mean: float | None
    confidence_p10: float | None
    confidence_p90: float | None

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def _next_closes(signals: list[Signal], step: timedelta) -> dict[tuple[int, object], float]:
    """Close of the bar after each signal's bar, in one query over the whole window."""
    if not signals:
        return {}
    wanted = {(s.instrument_id, s.bar_timestamp + step) for s in signals}
    bars = Bar.objects.filter(
        instrument_id__in={s.instrument_id for s in signals},
        timeframe=signals[0].timeframe,
        timestamp__gte=min(t for _, t in wanted),
        timestamp__lte=max(t for _, t in wanted),
    ).values_list("instrument_id", "timestamp", "close")
    return {(i, t): float(c) for i, t, c in bars if (i, t) in wanted}


def signal_outcomes(*, model_version: ModelVersion, limit: int) -> SignalOutcomes:
    """Hit rate, signal-implied PnL and confidence of the version's newest ``limit`` signals."""
    signals = list(Signal.objects.filter(model_version=model_version)[:limit])
    confidence = np.array([s.confidence for s in signals], dtype=float)
    nexts = _next_closes(signals, timeframe_delta(model_version.timeframe)) if signals else {}
    hits, returns = [], []
    for s in signals:
        after = nexts.get((s.instrument_id, s.bar_timestamp + timeframe_delta(s.timeframe)))
        if after is None:
            continue
        change = after / float(s.reference_price) - 1.0
        hits.append((change > 0) == (s.direction == "up"))
        returns.append(change if s.direction == "up" else 0.0)
    return SignalOutcomes(
        signals=len(signals),
        scored=len(hits),
        hit_rate=float(np.mean(hits)) if hits else None,
        pnl_return=float(np.sum(returns)) if returns else 0.0,
        confidence_mean=float(confidence.mean()) if len(confidence) else None,
        confidence_p10=float(np.quantile(confidence, 0.1)) if len(confidence) else None,
        confidence_p90=float(np.quantile(confidence, 0.9)) if len(confidence) else None,
    )


def drift_report_latest(*, model_version: ModelVersion) -> DriftReport | None:
    return DriftReport.objects.filter(model_version=model_version).first()


def status_fingerprint() -> str:
    """Changes whenever anything the status shows changes: the ETag of the status endpoint."""
    marks = [
        ModelAlias.objects.aggregate(m=Max("assigned_at"))["m"],
        PromotionEvent.objects.aggregate(m=Max("id"))["m"],
        Signal.objects.aggregate(m=Max("id"))["m"],
        DriftReport.objects.aggregate(m=Max("id"))["m"],
        ModelVersion.objects.aggregate(m=Max("id"))["m"],
        Bar.objects.aggregate(m=Max("id"))["m"],  # new bars score pending signals
    ]
    return "-".join(str(mark.timestamp() if hasattr(mark, "timestamp") else mark) for mark in marks)


def _version_status(version: ModelVersion, live_window: int) -> dict:
    run = version.training_run
    snapshot = run.dataset_snapshot if run else None
    report = drift_report_latest(model_version=version)
    outcomes = signal_outcomes(model_version=version, limit=live_window)
    keys = ("roc_auc", "log_loss", "brier", "hit_rate", "accuracy")
    holdout = {k: v for k, v in version.metrics.items() if k in keys or k.startswith("backtest_")}
    return {
        "version_id": version.pk,
        "version": version.version,
        "trained_at": version.created_at,
        "training_run_id": run.pk if run else None,
        "dataset_sha256": snapshot.content_sha256 if snapshot else None,
        "holdout_metrics": holdout,
        "drift": {
            "status": report.status if report else "unknown",
            "share": report.drift_share if report else None,
            "at": report.created_at if report else None,
        },
        "live": {
            "signals": outcomes.signals,
            "scored": outcomes.scored,
            "hit_rate": outcomes.hit_rate,
            "pnl_return": outcomes.pnl_return,
        },
        "confidence": {
            "mean": outcomes.confidence_mean,
            "p10": outcomes.confidence_p10,
            "p90": outcomes.confidence_p90,
        },
    }


def models_status(*, live_window: int) -> list[dict]:
    """Per model (and the strategies trading it): champion, challenger and shadow at a glance."""
    models = RegisteredModel.objects.prefetch_related(
        "strategies",
        Prefetch(
            "aliases",
            queryset=ModelAlias.objects.select_related(
                "model_version__training_run__dataset_snapshot"
            ),
        ),
    )
    status = []
    for registered in models:
        by_alias = {a.alias: a.model_version for a in registered.aliases.all()}
        entry: dict = {
            "model": registered.name,
            "strategies": sorted(s.name for s in registered.strategies.all()),
        }
        for alias in Alias.values:
            version = by_alias.get(alias)
            entry[alias] = _version_status(version, live_window) if version else None
        status.append(entry)
    return status
