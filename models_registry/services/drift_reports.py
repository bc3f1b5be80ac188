"""Drift reports: recent live features and predictions of a model against its training data."""

from __future__ import annotations

import numpy as np
import structlog
from django.conf import settings

from common import clock
from models_registry import classifier, drift, metrics
from models_registry.choices import DriftStatus
from models_registry.models import DriftReport, ModelVersion, RegisteredModel, Signal
from models_registry.selectors import model_version_champion, signal_outcomes
from models_registry.services.datasets import dataset_frame_load, recent_feature_frame
from models_registry.services.promotion import drift_thresholds
from models_registry.services.scoring import holdout_of, model_version_load

logger = structlog.get_logger(__name__)


def _confidence_drift(model_version: ModelVersion, limits: drift.DriftThresholds) -> dict:
    """Confidence of the hold-out predictions against the live signals' confidence."""
    holdout = holdout_of(model_version)
    live = np.array(
        Signal.objects.filter(model_version=model_version).values_list("confidence", flat=True)[
            : settings.MODELS_LIVE_SIGNAL_WINDOW
        ],
        dtype=float,
    )
    # PSI and KS on a handful of signals say nothing: wait for a meaningful sample.
    if holdout is None or len(live) < settings.MODELS_DRIFT_MIN_SAMPLES:
        return {}
    proba = classifier.predict_up(model_version_load(model_version), holdout)
    reference = np.maximum(proba, 1.0 - proba)
    return drift.confidence_drift(reference, live, limits).as_dict()


def _status(result: drift.DatasetDrift, confidence: dict, limits: drift.DriftThresholds) -> str:
    if result.drifted or confidence.get("drifted"):
        return DriftStatus.DRIFT
    if any(column.psi >= limits.psi_warn or column.drifted for column in result.columns):
        return DriftStatus.WARN
    return DriftStatus.OK


def drift_report_create(*, model_version: ModelVersion) -> DriftReport:
    """Compare the version's training features with the newest bars' and store the report.

    Steps: 1. reference = the training snapshot's feature rows; 2. current = features of the
    newest MODELS_DRIFT_WINDOW_BARS bars per symbol; 3. per-feature PSI and KS; 4. confidence
    drift and live hit rate of its signals; 5. store and export as metrics.
    """
    limits = drift_thresholds()
    run = model_version.training_run
    current = recent_feature_frame(
        symbols=list(model_version.training_symbols),
        timeframe=model_version.timeframe,
        bars=settings.MODELS_DRIFT_WINDOW_BARS,
    )
    outcomes = signal_outcomes(
        model_version=model_version, limit=settings.MODELS_LIVE_SIGNAL_WINDOW
    )
    report = DriftReport(
        registered_model=model_version.registered_model,
        model_version=model_version,
        live_hit_rate=outcomes.hit_rate,
        holdout_hit_rate=model_version.metrics.get("accuracy"),
        live_signals=outcomes.signals,
        current_rows=len(current),
        created_at=clock.now(),
    )
    if run is None or run.dataset_snapshot is None or current.empty:
        report.status = DriftStatus.UNKNOWN
    else:
        reference = dataset_frame_load(run.dataset_snapshot)[list(current.columns)]
        result = drift.analyse(reference, current, limits)
        report.confidence = _confidence_drift(model_version, limits)
        report.status = _status(result, report.confidence, limits)
        report.drift_share = result.share
        report.reference_rows = len(reference)
        report.features = [column.as_dict() for column in result.columns]
    report.save()
    name = model_version.registered_model.name
    metrics.DRIFT_SHARE.labels(name).set(report.drift_share or 0.0)
    metrics.DRIFTED.labels(name).set(1.0 if report.status == DriftStatus.DRIFT else 0.0)
    logger.info("drift_report", model_version=str(model_version), status=report.status)
    return report


def drift_reports_run() -> list[DriftReport]:
    """A drift report for every model's champion (the scheduled task)."""
    reports = []
    for registered in RegisteredModel.objects.all():
        champion = model_version_champion(registered_model_id=registered.pk)
        if champion is not None:
            reports.append(drift_report_create(model_version=champion))
    return reports
