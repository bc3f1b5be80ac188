from django.db import models

from risk.choices import OrderSide

__all__ = [
    "FINAL_STATUSES",
    "OPEN_STATUSES",
    "BreakKind",
    "BreakStatus",
    "OrderEventOutcome",
    "OrderSide",
    "OrderStatus",
    "OrderType",
    "UpdateSource",
]


class OrderStatus(models.TextChoices):
    """The broker's order states (Alpaca's names) plus one local pre-acknowledgement state.

    ``pending_new``: the order row and its approving risk decision are committed and the order
    is being sent (or was sent) but the broker has not acknowledged it yet. ``rejected`` covers
    both a risk guard refusal and a broker refusal; ``reject_reason`` says which.
    """

    PENDING_NEW = "pending_new", "Pending new (sent, not acknowledged)"
    ACCEPTED = "accepted", "Accepted"
    NEW = "new", "New (working at the broker)"
    PARTIALLY_FILLED = "partially_filled", "Partially filled"
    PENDING_CANCEL = "pending_cancel", "Pending cancel"
    PENDING_REPLACE = "pending_replace", "Pending replace"
    FILLED = "filled", "Filled"
    CANCELED = "canceled", "Canceled"
    REJECTED = "rejected", "Rejected"
    EXPIRED = "expired", "Expired"
    REPLACED = "replaced", "Replaced"


FINAL_STATUSES = (
    OrderStatus.FILLED,
    OrderStatus.CANCELED,
    OrderStatus.REJECTED,
    OrderStatus.EXPIRED,
    OrderStatus.REPLACED,
)
OPEN_STATUSES = tuple(status for status in OrderStatus if status not in FINAL_STATUSES)


class OrderType(models.TextChoices):
    MARKET = "market", "Market"
    LIMIT = "limit", "Limit"


class UpdateSource(models.TextChoices):
    SUBMIT = "submit", "Submission"
    STREAM = "stream", "Trade-update stream"
    POLL = "poll", "Poll"
    RECONCILIATION = "reconciliation", "Reconciliation"
    KILL_SWITCH = "kill_switch", "Kill switch"


class OrderEventOutcome(models.TextChoices):
    APPLIED = "applied", "Applied"
    STALE = "stale", "Out of order: older than the current state, not applied"
    ANOMALY = "anomaly", "Illegal transition: recorded and alerted, status not changed"


class BreakKind(models.TextChoices):
    ORPHAN_ORDER = "orphan_order", "Orphan order (open at the broker, unknown here)"
    GHOST_ORDER = "ghost_order", "Ghost order (open here, unknown at the broker)"
    ORDER_STATUS = "order_status", "Order status mismatch"
    ORDER_QUANTITY = "order_quantity", "Order filled quantity mismatch"
    POSITION_QUANTITY = "position_quantity", "Position quantity mismatch"
    CASH = "cash", "Cash mismatch"
    LEDGER = "ledger", "Ledger invariant (our books disagree with their own fills)"


class BreakStatus(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"
