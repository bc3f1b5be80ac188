"""Prometheus metrics of order flow."""

from prometheus_client import Counter

ORDERS = Counter(
    "tradingops_execution_orders_total", "Orders by the status they reached.", ["status"]
)
FILLS = Counter("tradingops_execution_fills_total", "Fills recorded, by broker.", ["broker"])
STRATEGIES_SKIPPED = Counter(
    "tradingops_execution_strategies_skipped_total",
    "Trading cycles in which a strategy could not trade, by reason.",
    ["reason"],
)
