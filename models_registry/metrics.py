"""Prometheus metrics of models and their signals."""

from prometheus_client import Counter, Histogram

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
