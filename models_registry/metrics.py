"""Prometheus metrics of models and their signals."""

from prometheus_client import Counter, Gauge, Histogram

SIGNALS = Counter(
    "tradingops_models_signals_total",
    "Signals written, by model and direction.",
    ["model", "direction"],
)
CONFIDENCE = Histogram(
    "tradingops_models_prediction_confidence",
    "Confidence of each prediction (0.5 = coin flip, 1 = certain), by model.",
    ["model"],
    buckets=(0.5, 0.55, 0.6, 0.65, 0.7, 0.8, 0.9, 1.0),
)
ARTIFACT_INTEGRITY_FAILURES = Counter(
    "tradingops_models_artifact_integrity_failures_total",
    "Artifacts refused because they were missing or their sha256 did not match.",
)
PROMOTIONS = Counter(
    "tradingops_models_promotions_total",
    "Alias changes and blocked promotions, by action.",
    ["action"],
)
DRIFT_SHARE = Gauge(
    "tradingops_models_drift_share_ratio",
    "Share of drifted features in the latest drift report, by model.",
    ["model"],
)
DRIFTED = Gauge(
    "tradingops_models_drifted",
    "1 when the latest drift report found drift, by model.",
    ["model"],
)
