"""In-process paper broker: market orders fill at the next bar's open plus slippage.

Deterministic, so backtests and the embedded demo give the same fills on every run.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from common.money import apply_bps, quantize_price
from execution.brokers.base import BrokerAck, BrokerFill, OrderTicket

# (instrument id, after) -> (bar start, bar open) of the first bar after ``after``, or None.
NextBarOpen = Callable[[int, datetime], tuple[datetime, Decimal] | None]


class PaperBroker:
    name = "paper"

    def __init__(self, *, slippage_bps: Decimal, next_bar_open: NextBarOpen) -> None:
        if slippage_bps < 0:
            raise ValueError("slippage_bps cannot be negative")
        self.slippage_bps = slippage_bps
        self.next_bar_open = next_bar_open

    def submit(self, ticket: OrderTicket) -> BrokerAck:
        # The broker order id is derived from the client order id: resubmitting the same
        # order gives the same id, as a real broker's idempotency key would.
        return BrokerAck(broker_order_id=f"paper-{ticket.client_order_id}")

    def fills(self, ticket: OrderTicket, broker_order_id: str) -> list[BrokerFill]:
        bar = self.next_bar_open(ticket.instrument_id, ticket.placed_after)
        if bar is None:
            return []
        bar_start, open_price = bar
        # Buyers pay up, sellers receive less: slippage always costs the trader.
        signed_bps = self.slippage_bps if ticket.side == "buy" else -self.slippage_bps
        return [
            BrokerFill(
                broker_fill_id=f"{broker_order_id}-1",
                quantity=ticket.quantity,
                price=quantize_price(apply_bps(open_price, signed_bps)),
                fee=Decimal(0),
                filled_at=bar_start,
            )
        ]

    def cancel(self, ticket: OrderTicket, broker_order_id: str) -> bool:
        # The simulator fills only when fills are collected, so a cancel before then always
        # succeeds: marking the order cancelled is all there is to do.
        return True
