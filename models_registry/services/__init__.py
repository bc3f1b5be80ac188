"""Model registry writes, by area; the public services are re-exported here."""

from models_registry.services.datasets import (
    dataset_frame_load,
    dataset_snapshot_build,
    feature_set_register,
)
from models_registry.services.drift_reports import drift_report_create, drift_reports_run
from models_registry.services.promotion import (
    PromotionBlocked,
    model_alias_clear,
    model_version_alias_set,
    model_version_approve,
    model_version_bootstrap,
    model_version_promote,
    model_version_rollback,
    promotion_gates,
)
from models_registry.services.retention import model_versions_retain
from models_registry.services.scoring import model_version_load
from models_registry.services.signals import shadow_signals_record, signals_generate
from models_registry.services.training import model_version_train

__all__ = [
    "PromotionBlocked",
    "dataset_frame_load",
    "dataset_snapshot_build",
    "drift_report_create",
    "drift_reports_run",
    "feature_set_register",
    "model_alias_clear",
    "model_version_alias_set",
    "model_version_approve",
    "model_version_bootstrap",
    "model_version_load",
    "model_version_promote",
    "model_version_rollback",
    "model_version_train",
    "model_versions_retain",
    "promotion_gates",
    "shadow_signals_record",
    "signals_generate",
]
