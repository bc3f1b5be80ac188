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
