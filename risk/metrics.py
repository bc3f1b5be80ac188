"""Prometheus metrics of the risk guard."""

from prometheus_client import Counter

DECISIONS = Counter(
    "tradingops_risk_decisions_total", "Pre-trade decisions, by outcome.", ["outcome"]
)
REJECTION_REASONS = Counter(
    "tradingops_risk_rejection_reasons_total", "Reasons given in rejections, by code.", ["reason"]
)
KILL_SWITCH_CHANGES = Counter(
    "tradingops_risk_kill_switch_changes_total", "Kill switch engages and releases.", ["action"]
)
# Alert on any increase: an automatic trip means a hard limit was reached.
TRIPS = Counter(
    "tradingops_risk_trips_total",
    "Automatic trips (daily loss, drawdown, losing streak), by limit and action.",
    ["limit", "action"],
)
WARNINGS = Counter(
    "tradingops_risk_warnings_total",
    "Decisions that crossed a warning level (e.g. 80 % of the daily loss limit), by limit.",
    ["limit"],
)
ORDERS_CANCELLED = Counter(
    "tradingops_risk_kill_switch_orders_cancelled_total",
    "Open orders cancelled by kill switch handlers.",
)
STATE_LOADS = Counter(
    "tradingops_risk_state_loads_total",
    "Loads of the risk state from the database (once per version per process).",
)
CHANGE_REQUESTS = Counter(
    "tradingops_risk_change_requests_total",
    "Four-eyes change requests, by kind and outcome.",
    ["kind", "status"],
)
