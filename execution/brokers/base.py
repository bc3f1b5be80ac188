"""The broker interface every adapter implements (paper simulator now, real APIs later)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol


@dataclass(frozen=True, slots=True)
class OrderTicket:
    """What a broker needs to know about an order."""

    client_order_id: str
    instrument_id: int
    symbol: str
    side: str
    quantity: Decimal
    placed_after: datetime  # the bar the decision was made on has closed by then


@dataclass(frozen=True, slots=True)
class BrokerAck:
    broker_order_id: str


@dataclass(frozen=True, slots=True)
class BrokerFill:
    broker_fill_id: str  # the broker's execution id: fills are deduplicated on it
    quantity: Decimal
    price: Decimal
    fee: Decimal
    filled_at: datetime


class Broker(Protocol):
    name: str

    def submit(self, ticket: OrderTicket) -> BrokerAck: ...

    def fills(self, ticket: OrderTicket, broker_order_id: str) -> list[BrokerFill]:
        """Every fill of the order so far (the same fill is reported again on each call)."""
        ...

    def cancel(self, ticket: OrderTicket, broker_order_id: str) -> bool:
        """Cancel a working order; True when the broker confirms (or it was never live)."""
        ...
