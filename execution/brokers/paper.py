"""In-process paper broker: market orders fill at the next bar's open plus slippage.

Deterministic, so backtests and the embedded demo give the same fills on every run. It keeps
no state of its own: the orders it was sent are our order rows (read through a ``PaperBook``),
and an order's state at this "broker" follows from the bars: filled once the first bar after
it exists, canceled if a cancel was asked before that, working otherwise. So a restarted
process sees exactly the broker it left, and every call can be repeated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from common.money import apply_bps, quantize_price
from execution.brokers.contract import (
    BrokerAccount,
    BrokerFill,
    BrokerOrder,
    BrokerOrderNotFound,
    BrokerPosition,
    BrokerRejected,
    OrderRequest,
)

# (instrument id, after) -> (bar start, bar open) of the first bar after ``after``, or None.
NextBarOpen = Callable[[int, datetime], tuple[datetime, Decimal] | None]


@dataclass(frozen=True, slots=True)
class PaperOrder:
    """An order the paper broker was sent, and whether a cancel was asked for it."""

    request: OrderRequest
    cancel_requested: bool = False


class PaperBook(Protocol):
    """Where the paper broker reads what it was sent and what the account holds."""

    def order(self, client_order_id: str) -> PaperOrder | None: ...

    def working(self) -> list[PaperOrder]:
        """Orders sent and not final in our books: the only ones that can still fill."""
        ...

    def positions(self) -> list[BrokerPosition]: ...

    def account(self) -> BrokerAccount: ...


def broker_order_id_for(client_order_id: str) -> str:
    # Derived from the client order id: resubmitting the same order gives the same id, as a
    # real broker's idempotency key would.
    return f"paper-{client_order_id}"


class PaperBroker:
    name = "paper"

    def __init__(
        self, *, slippage_bps: Decimal, next_bar_open: NextBarOpen, book: PaperBook
    ) -> None:
        if slippage_bps < 0:
            raise ValueError("slippage_bps cannot be negative")
        self.slippage_bps = slippage_bps
        self.next_bar_open = next_bar_open
        self.book = book

    def submit(self, request: OrderRequest) -> BrokerOrder:
        if request.order_type != "market":
            raise BrokerRejected("the paper broker takes market orders only", status=422)
        if request.instrument_id is None or request.placed_after is None:
            raise BrokerRejected("instrument_id and placed_after are required", status=422)
        # Acknowledged at once; the fill is reported once the next bar exists (a cancel asked
        # after that bar is too late, as at a real broker).
        return self._order(PaperOrder(request), fill=None, status="new")

    def order_by_client_id(self, client_order_id: str) -> BrokerOrder | None:
        sent = self.book.order(client_order_id)
        if sent is None:
            return None
        fill = self._fill(sent.request)
        if fill is not None:
            return self._order(sent, fill=fill, status="filled")
        return self._order(sent, fill=None, status="canceled" if sent.cancel_requested else "new")

    def cancel(self, broker_order_id: str) -> None:
        # The paper broker fills only at the next bar: a cancel asked before it always wins,
        # and the book records that it was asked (the order row's status), so there is
        # nothing to do here beyond checking the order exists.
        client_order_id = broker_order_id.removeprefix("paper-")
        if self.book.order(client_order_id) is None:
            raise BrokerOrderNotFound(f"no paper order {broker_order_id}", status=404)

    def replace(self, broker_order_id: str, **changes: object) -> BrokerOrder:
        raise BrokerRejected("the paper broker does not replace orders", status=422)

    def open_orders(self) -> list[BrokerOrder]:
        orders = (self.order_by_client_id(o.request.client_order_id) for o in self.book.working())
        return [order for order in orders if order is not None and order.is_open]

    def fills(self, *, after: datetime | None = None) -> list[BrokerFill]:
        fills = []
        for sent in self.book.working():
            fill = self._fill(sent.request)
            if fill is not None and (after is None or fill.filled_at > after):
                fills.append(fill)
        return sorted(fills, key=lambda fill: (fill.filled_at, fill.broker_fill_id))

    def positions(self) -> list[BrokerPosition]:
        return self.book.positions()

    def account(self) -> BrokerAccount:
        return self.book.account()

    def _fill(self, request: OrderRequest) -> BrokerFill | None:
        if request.instrument_id is None or request.placed_after is None:
            return None  # refused by ``submit``: never in the book
        bar = self.next_bar_open(request.instrument_id, request.placed_after)
        if bar is None:
            return None
        bar_start, open_price = bar
        # Buyers pay up, sellers receive less: slippage always costs the trader.
        signed_bps = self.slippage_bps if request.side == "buy" else -self.slippage_bps
        broker_order_id = broker_order_id_for(request.client_order_id)
        return BrokerFill(
            broker_fill_id=f"{broker_order_id}-1",
            quantity=request.quantity,
            price=quantize_price(apply_bps(open_price, signed_bps)),
            fee=Decimal(0),
            filled_at=bar_start,
            broker_order_id=broker_order_id,
            client_order_id=request.client_order_id,
            symbol=request.symbol,
            side=request.side,
        )

    @staticmethod
    def _order(sent: PaperOrder, *, fill: BrokerFill | None, status: str) -> BrokerOrder:
        request = sent.request
        return BrokerOrder(
            broker_order_id=broker_order_id_for(request.client_order_id),
            client_order_id=request.client_order_id,
            symbol=request.symbol,
            side=request.side,
            quantity=request.quantity,
            filled_quantity=fill.quantity if fill else Decimal(0),
            average_fill_price=fill.price if fill else None,
            status=status,
            submitted_at=request.placed_after,
            updated_at=fill.filled_at if fill else request.placed_after,
        )
