"""Prometheus metrics of market data ingestion."""

from prometheus_client import Counter, Gauge, Histogram

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
PROVIDER_EVENTS = Counter(
    "tradingops_marketdata_provider_events_total",
    "Provider state changes (breaker opened/half-open/closed, failover, failback, backfill).",
    ["provider", "kind"],
)
BREAKER_STATE = Gauge(
    "tradingops_marketdata_breaker_state",
    "Circuit breaker state per provider: 0 closed, 1 half-open, 2 open.",
    ["provider"],
)
PROVIDER_CALL_SECONDS = Histogram(
    "tradingops_marketdata_provider_call_seconds",
    "Duration of one provider fetch including retries, by provider.",
    ["provider"],
)
BARS_BACKFILLED = Counter(
    "tradingops_marketdata_bars_backfilled_total",
    "Bars stored by gap backfill after an outage, by provider.",
    ["provider"],
)
BAR_CACHE = Counter(
    "tradingops_marketdata_bar_cache_total",
    "Newest-bar cache lookups by result (hit or miss).",
    ["result"],
)
