"""The broker contract every adapter implements (in-process paper, Alpaca, Alpaca simulator).

Broker-neutral value objects: adapters translate the wire format into these, and the order
update service (``execution.services``) is the only code that turns them into database rows.
Statuses and events use Alpaca's names, the richest set among the brokers we target.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol

# Alpaca order statuses an adapter may report (``BrokerOrder.status``).
BROKER_OPEN_STATUSES = frozenset(
    {
        "pending_new",
        "new",
        "accepted",
        "partially_filled",
        "pending_cancel",
        "pending_replace",
        "accepted_for_bidding",
        "calculated",
        "stopped",
        "done_for_day",
    }
)
BROKER_FINAL_STATUSES = frozenset({"filled", "canceled", "expired", "rejected", "replaced"})


class BrokerError(Exception):
    """A broker call failed. ``retryable`` says whether the same call may be tried again."""

    retryable = False

    def __init__(self, message: str, *, code: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.message, self.code, self.status = message, code, status


class BrokerRejected(BrokerError):
    """The broker refused the request (4xx: invalid, insufficient buying power, duplicate)."""


class BrokerOrderNotFound(BrokerError):
    """No order with that id at the broker (404)."""


class BrokerUnavailable(BrokerError):
    """The broker did not answer usefully (timeout, connection error, 5xx, 429 after waiting).

    The request may or may not have taken effect: a submit must be looked up by its
    ``client_order_id`` before it is sent again.
    """

    retryable = True


@dataclass(frozen=True, slots=True)
class OrderRequest:
    client_order_id: str
    symbol: str
    side: str  # "buy" | "sell"
    quantity: Decimal
    order_type: str = "market"  # "market" | "limit"
    time_in_force: str = "day"  # "day" | "gtc" | "ioc"
    limit_price: Decimal | None = None
    # The in-process paper broker fills at the first bar after this time; remote brokers
    # ignore both fields.
    instrument_id: int | None = None
    placed_after: datetime | None = None


@dataclass(frozen=True, slots=True)
class BrokerOrder:
    """An order as the broker sees it now."""

    broker_order_id: str
    client_order_id: str
    symbol: str
    side: str
    quantity: Decimal
    filled_quantity: Decimal
    average_fill_price: Decimal | None
    status: str  # one of BROKER_OPEN_STATUSES | BROKER_FINAL_STATUSES
    order_type: str = "market"
    time_in_force: str = "day"
    limit_price: Decimal | None = None
    submitted_at: datetime | None = None
    updated_at: datetime | None = None
    replaces: str | None = None  # broker id of the order this one replaced
    replaced_by: str | None = None  # broker id of the order that replaced this one
    raw: Mapping = field(default_factory=dict, compare=False)

    @property
    def is_open(self) -> bool:
        return self.status in BROKER_OPEN_STATUSES


@dataclass(frozen=True, slots=True)
class BrokerFill:
    """One execution. ``broker_fill_id`` is the broker's execution id: fills dedupe on it."""

    broker_fill_id: str
    quantity: Decimal
    price: Decimal
    fee: Decimal
    filled_at: datetime
    broker_order_id: str = ""
    client_order_id: str = ""
    symbol: str = ""
    side: str = ""
    raw: Mapping = field(default_factory=dict, compare=False)


@dataclass(frozen=True, slots=True)
class OrderUpdate:
    """One event about one order, from the trade-update stream, a poll or reconciliation.

    ``event`` uses Alpaca's trade_updates names (new, accepted, fill, partial_fill, canceled,
    expired, rejected, replaced, pending_cancel, pending_replace, done_for_day, ...). ``fill``
    is set for fill and partial_fill. ``event_id`` identifies the event for deduplication:
    the execution id for fills, otherwise the broker order id, event and timestamp.
    """

    event: str
    order: BrokerOrder
    at: datetime
    source: str  # "stream" | "poll" | "reconciliation" | "submit"
    event_id: str
    fill: BrokerFill | None = None
    raw: Mapping = field(default_factory=dict, compare=False)


@dataclass(frozen=True, slots=True)
class BrokerPosition:
    symbol: str
    quantity: Decimal  # signed: long > 0, short < 0
    average_entry_price: Decimal
    market_value: Decimal | None = None


@dataclass(frozen=True, slots=True)
class BrokerAccount:
    cash: Decimal
    buying_power: Decimal
    equity: Decimal
    currency: str = "USD"


class Broker(Protocol):
    """What execution needs from a broker. Every method may raise ``BrokerError``."""

    name: str

    def submit(self, request: OrderRequest) -> BrokerOrder:
        """Place an order, at most once per ``client_order_id``.

        On a timeout or 5xx the adapter looks the order up by ``client_order_id`` before any
        retry and returns the existing order; a duplicate ``client_order_id`` the broker
        refuses (422) is answered with the existing order too.
        """
        ...

    def order_by_client_id(self, client_order_id: str) -> BrokerOrder | None: ...

    def cancel(self, broker_order_id: str) -> None:
        """Ask the broker to cancel; the final state arrives as an update (or a poll)."""
        ...

    def replace(
        self,
        broker_order_id: str,
        *,
        quantity: Decimal | None = None,
        limit_price: Decimal | None = None,
        time_in_force: str | None = None,
        client_order_id: str | None = None,
    ) -> BrokerOrder:
        """Replace a working order; returns the new order (the old one ends ``replaced``)."""
        ...

    def open_orders(self) -> list[BrokerOrder]: ...

    def fills(self, *, after: datetime | None = None) -> list[BrokerFill]:
        """The account's executions (Alpaca: FILL activities), oldest first."""
        ...

    def positions(self) -> list[BrokerPosition]: ...

    def account(self) -> BrokerAccount: ...
