from __future__ import annotations

from celery import shared_task

from models_registry.services import (
    dataset_snapshot_build,
    drift_reports_run,
    model_version_train,
    model_versions_retain,
)


@shared_task(name="models_registry.build_dataset")
def build_dataset(symbols: list[str] | None = None, timeframe: str | None = None) -> dict:
    """Scheduled and on demand: snapshot features and labels of the stored (validated) bars."""
    snapshot = dataset_snapshot_build(symbols=symbols, timeframe=timeframe)
    return {"id": snapshot.pk, "sha256": snapshot.content_sha256, "rows": snapshot.row_count}


@shared_task(name="models_registry.train_model")
def train_model(model_name: str, promote: bool = False, params: dict | None = None) -> int:
    """On demand: train a new version of ``model_name`` as a tracked run; returns its id."""
    return model_version_train(model_name=model_name, promote=promote, params=params).pk


@shared_task(name="models_registry.drift_reports")
def drift_reports() -> dict:
    """Scheduled: a drift report for every champion."""
    return {str(r.model_version): r.status for r in drift_reports_run()}


@shared_task(name="models_registry.retain_versions")
def retain_versions() -> dict:
    return model_versions_retain()
