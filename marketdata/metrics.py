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
BARS_FLAGGED = Counter(
    "tradingops_marketdata_bars_flagged_total",
    "Stored bars flagged by a quarantine rule, by provider, reason and resulting status.",
    ["provider", "reason", "status"],
)
BAR_REVIEWS = Counter(
    "tradingops_marketdata_bar_reviews_total",
    "Quarantined bars released or discarded by an operator, by action.",
    ["action"],
)
