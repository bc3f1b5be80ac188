"""Prometheus metrics of market data ingestion."""

from prometheus_client import Counter

BARS_STORED = Counter(
    "tradingops_marketdata_bars_stored_total", "Validated bars stored, by provider.", ["provider"]
)
BARS_REJECTED = Counter(
    "tradingops_marketdata_bars_rejected_total",
    "Incoming bars refused by validation (never stored), by provider and reason.",
    ["provider", "reason"],
)
PROVIDER_ERRORS = Counter(
    "tradingops_marketdata_provider_errors_total",
    "Provider calls that failed for an instrument, by provider.",
    ["provider"],
)
