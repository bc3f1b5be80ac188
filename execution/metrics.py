"""Prometheus metrics of order flow and reconciliation."""

from prometheus_client import Counter, Gauge

ORDERS = Counter(
    "tradingops_execution_orders_total", "Orders by the status they reached.", ["status"]
)
FILLS = Counter("tradingops_execution_fills_total", "Fills recorded, by broker.", ["broker"])
STRATEGIES_SKIPPED = Counter(
    "tradingops_execution_strategies_skipped_total",
    "Trading cycles in which a strategy could not trade, by reason.",
    ["reason"],
)
ORDER_UPDATES = Counter(
    "tradingops_execution_order_updates_total",
    "Broker updates that changed something, by source and outcome (applied, stale, anomaly).",
    ["source", "outcome"],
)
ORDER_ANOMALIES = Counter(
    "tradingops_execution_order_anomalies_total",
    "Illegal order updates (a fill after a cancel, an overfill, an unknown order), by kind.",
    ["kind"],
)
FILL_STATUS_HELD = Counter(
    "tradingops_execution_fill_status_held_total",
    "Broker views saying filled or partially filled before their fills were booked, by source:"
    " the status waits for the fills (fetched by the poll) instead of closing the order empty.",
    ["source"],
)
FILL_CATCH_UPS = Counter(
    "tradingops_execution_fill_catch_ups_total",
    "Fills the poll fetched for one order the broker showed more filled than our books.",
)
SUBMIT_UNRESOLVED = Counter(
    "tradingops_execution_submit_unresolved_total",
    "Sends that got no answer from the broker; the order waits in pending_new for the poll.",
)
SUBMIT_RETRIES = Counter(
    "tradingops_execution_submit_retries_total",
    "pending_new orders the broker did not know, sent again under the same client_order_id.",
)
RECONCILIATION_RUNS = Counter(
    "tradingops_execution_reconciliation_runs_total",
    "Reconciliation runs by result (clean, breaks, failed).",
    ["result"],
)
RECONCILIATION_BREAKS = Counter(
    "tradingops_execution_reconciliation_breaks_total",
    "Reconciliation breaks found (each discrepancy once while open), by kind.",
    ["kind"],
)

# The trade-update stream process (manage.py run_trade_stream).
TRADE_STREAM_CONNECTED = Gauge(
    "tradingops_execution_trade_stream_connected",
    "1 while the trade-update stream is connected and authenticated, else 0.",
    multiprocess_mode="livemax",  # a dead stream process must not read as connected
)
TRADE_STREAM_CONNECTS = Counter(
    "tradingops_execution_trade_stream_connects_total",
    "Trade-update stream connections established (a rise means reconnects).",
)
TRADE_STREAM_MESSAGES = Counter(
    "tradingops_execution_trade_stream_messages_total",
    "Trade-update messages by event and outcome (applied, duplicate, malformed, failed).",
    ["event", "outcome"],
)
TRADE_STREAM_LAST_MESSAGE = Gauge(
    "tradingops_execution_trade_stream_last_message_timestamp_seconds",
    "Unix time of the last trade-update message received.",
    multiprocess_mode="max",
)
