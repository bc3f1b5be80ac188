"""Execution writes: the trading cycle, order submission through the guard, broker updates,
fills, positions and PnL, the kill switch's cancels and reconciliation.

``broker`` picks the broker, ``orders`` holds the single writer of broker updates and the
submission/poll/cancel steps, ``books`` turns fills into positions, lots and PnL,
``trading`` runs the cycle, ``reconciliation`` compares our books with the broker's,
``ledger`` checks them against their own fills.
"""

from execution.services.books import fill_book, positions_mark
from execution.services.broker import get_broker
from execution.services.ledger_check import LedgerReport, ledger_check
from execution.services.orders import (
    PollReport,
    order_send,
    order_update_apply,
    order_updates_poll,
    orders_cancel_open,
)
from execution.services.reconciliation import reconciliation_break_resolve, reconciliation_run
from execution.services.trading import (
    CycleReport,
    client_order_id_for,
    order_submit,
    trading_cycle_run,
)

__all__ = [
    "CycleReport",
    "LedgerReport",
    "PollReport",
    "client_order_id_for",
    "fill_book",
    "get_broker",
    "ledger_check",
    "order_send",
    "order_submit",
    "order_update_apply",
    "order_updates_poll",
    "orders_cancel_open",
    "positions_mark",
    "reconciliation_break_resolve",
    "reconciliation_run",
    "trading_cycle_run",
]
