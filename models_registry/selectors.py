from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.db import connection
from django.db.models import F, Prefetch, QuerySet, Window
from django.db.models.functions import RowNumber

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


def registered_model_for_strategy(*, name: str) -> RegisteredModel:
    """The model a strategy trades, looked up by the strategy's name (or the model's own)."""
    found = RegisteredModel.objects.filter(strategies__name=name).first()
    if found is None:
        found = RegisteredModel.objects.filter(name=name).first()
    if found is None:
        raise NotFound(f"No strategy or model named {name!r}")
    return found


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


SIGNAL_FIELDS = (
    "model_version_id",
    "instrument_id",
    "timeframe",
    "bar_timestamp",
    "direction",
    "confidence",
    "reference_price",
)


def _signal_rows(version_ids: list[int], limit: int) -> dict[int, list[tuple]]:
    """The newest ``limit`` signals of each version, in one query (a window per version)."""
    ranked = (
        Signal.objects.filter(model_version_id__in=version_ids)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=F("model_version_id"),
                order_by=[F("bar_timestamp").desc(), F("id").desc()],
            )
        )
        .filter(rank__lte=limit)
        .values_list(*SIGNAL_FIELDS)
    )
    rows: dict[int, list[tuple]] = {pk: [] for pk in version_ids}
    for row in ranked:
        rows[row[0]].append(row)
    return rows


def _next_closes(rows: list[tuple]) -> dict[tuple[int, object], float]:
    """Close of the bar after each signal's bar, in one query over the whole window."""
    if not rows:
        return {}
    wanted = {(r[1], r[3] + timeframe_delta(r[2])) for r in rows}
    bars = Bar.objects.filter(
        instrument_id__in={i for i, _ in wanted},
        timeframe__in={r[2] for r in rows},
        timestamp__gte=min(t for _, t in wanted),
        timestamp__lte=max(t for _, t in wanted),
    ).values_list("instrument_id", "timestamp", "close")
    return {(i, t): float(c) for i, t, c in bars if (i, t) in wanted}


def _outcomes(rows: list[tuple], closes: dict[tuple[int, object], float]) -> SignalOutcomes:
    confidence = np.array([r[5] for r in rows], dtype=float)
    hits, returns = [], []
    for _, instrument_id, timeframe, bar_timestamp, direction, _, price in rows:
        after = closes.get((instrument_id, bar_timestamp + timeframe_delta(timeframe)))
        if after is None:
            continue
        change = after / float(price) - 1.0
        hits.append((change > 0) == (direction == "up"))
        returns.append(change if direction == "up" else 0.0)
    has = len(confidence) > 0
    return SignalOutcomes(
        signals=len(rows),
        scored=len(hits),
        hit_rate=float(np.mean(hits)) if hits else None,
        pnl_return=float(np.sum(returns)) if returns else 0.0,
        confidence_mean=float(confidence.mean()) if has else None,
        confidence_p10=float(np.quantile(confidence, 0.1)) if has else None,
        confidence_p90=float(np.quantile(confidence, 0.9)) if has else None,
    )


def signal_outcomes(*, model_version: ModelVersion, limit: int) -> SignalOutcomes:
    """Hit rate, signal-implied PnL and confidence of the version's newest ``limit`` signals.

    A signal is scored once the bar after it exists: a hit when the close moved the way it
    called; the PnL is that of following it long/flat, before costs.
    """
    rows = list(
        Signal.objects.filter(model_version=model_version)
        .order_by("-bar_timestamp", "-id")
        .values_list(*SIGNAL_FIELDS)[:limit]
    )
    return _outcomes(rows, _next_closes(rows))


FINGERPRINT_TABLES = (ModelAlias, PromotionEvent, Signal, DriftReport, ModelVersion, Bar)


def status_fingerprint() -> str:
    """Changes whenever anything the status shows changes: the ETag of the status endpoint.

    The newest id of each table the status reads, in one round trip. Ids only grow (these
    rows are never deleted), and every alias change writes a promotion event; new bars
    move it too, since they score pending signals.
    """
    selects = ", ".join(
        f"(SELECT MAX(id) FROM {connection.ops.quote_name(model._meta.db_table)})"  # noqa: S608
        for model in FINGERPRINT_TABLES
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {selects}")
        marks = cursor.fetchone()
    return "-".join(str(mark) for mark in marks)


def _latest_drift(version_ids: list[int]) -> dict[int, DriftReport]:
    latest = (
        DriftReport.objects.filter(model_version_id__in=version_ids)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=F("model_version_id"),
                order_by=[F("created_at").desc(), F("id").desc()],
            )
        )
        .filter(rank=1)
        .only("model_version_id", "status", "drift_share", "created_at")
    )
    return {report.model_version_id: report for report in latest}


def _version_status(
    version: ModelVersion, report: DriftReport | None, outcomes: SignalOutcomes
) -> dict:
    run = version.training_run
    snapshot = run.dataset_snapshot if run else None
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
    """Per model (and the strategies trading it): champion, challenger and shadow at a glance.

    A fixed number of queries however many models: models with strategies and aliases, the
    newest drift report per version, the newest signals per version, and the bars after them.
    """
    models = list(
        RegisteredModel.objects.prefetch_related(
            "strategies",
            Prefetch(
                "aliases",
                queryset=ModelAlias.objects.select_related(
                    "model_version__training_run__dataset_snapshot"
                ),
            ),
        )
    )
    version_ids = sorted({a.model_version_id for m in models for a in m.aliases.all()})
    reports = _latest_drift(version_ids)
    rows = _signal_rows(version_ids, live_window)
    closes = _next_closes([row for per_version in rows.values() for row in per_version])
    status = []
    for registered in models:
        by_alias = {a.alias: a.model_version for a in registered.aliases.all()}
        entry: dict = {
            "model": registered.name,
            "strategies": sorted(s.name for s in registered.strategies.all()),
        }
        for alias in Alias.values:
            version = by_alias.get(alias)
            entry[alias] = (
                _version_status(
                    version, reports.get(version.pk), _outcomes(rows[version.pk], closes)
                )
                if version
                else None
            )
        status.append(entry)
    return status


def champion_versions() -> dict[str, int]:
    """The champion version number of each registered model that has one."""
    return dict(
        ModelAlias.objects.filter(alias=Alias.CHAMPION).values_list(
            "registered_model__name", "model_version__version"
        )
    )
