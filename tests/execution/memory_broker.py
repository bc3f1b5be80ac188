"""An in-memory broker that keeps the contract's promises (for service tests that need a
broker with state of its own: planted orders, crashes after acceptance). The end-to-end
tests use the Alpaca simulator through alpaca-py instead."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from common import clock
from execution.brokers.contract import (
    BrokerAccount,
    BrokerFill,
    BrokerOrder,
    BrokerOrderNotFound,
    BrokerPosition,
    BrokerRejected,
    BrokerUnavailable,
    OrderRequest,
    OrderUpdate,
)


class MemoryBroker:
    name = "memory"

    def __init__(self, *, cash: Decimal = Decimal("100000"), id_prefix: str = "") -> None:
        self.orders: dict[str, BrokerOrder] = {}  # by broker order id
        self.executions: list[BrokerFill] = []
        self.cash = cash
        self.planted_positions: dict[str, Decimal] = {}
        self.submits = 0  # orders the broker accepted
        self.fault = ""  # "timeout_after_accept" | "timeout_before_accept" | "reject"
        self._ids = itertools.count(1)
        # Ids are unique per broker; a prefix keeps several brokers' ids apart in one database
        # (a real broker's ids are unique for good, and a repeated execution id is a duplicate).
        self._prefix = id_prefix

    # -- the contract ---------------------------------------------------------------------
    def submit(self, request: OrderRequest) -> BrokerOrder:
        existing = self.order_by_client_id(request.client_order_id)
        if existing is not None:
            return existing  # client_order_id is unique at the broker
        if self.fault == "timeout_before_accept":
            raise BrokerUnavailable("timed out", status=504)
        if self.fault == "reject":
            raise BrokerRejected("insufficient buying power", code="40310000", status=403)
        order = BrokerOrder(
            broker_order_id=f"{self._prefix}mem-{next(self._ids)}",
            client_order_id=request.client_order_id,
            symbol=request.symbol,
            side=request.side,
            quantity=request.quantity,
            filled_quantity=Decimal(0),
            average_fill_price=None,
            status="new",
            submitted_at=clock.now(),
            updated_at=clock.now(),
        )
        self.orders[order.broker_order_id] = order
        self.submits += 1
        if self.fault == "timeout_after_accept":
            raise BrokerUnavailable("timed out after the broker accepted", status=504)
        return order

    def order_by_client_id(self, client_order_id: str) -> BrokerOrder | None:
        return next((o for o in self.orders.values() if o.client_order_id == client_order_id), None)

    def cancel(self, broker_order_id: str) -> None:
        order = self.orders.get(broker_order_id)
        if order is None:
            raise BrokerOrderNotFound("order not found", status=404)
        if not order.is_open:
            raise BrokerRejected("order is not cancelable", status=422)
        self.orders[broker_order_id] = replace(order, status="canceled", updated_at=clock.now())

    def replace(self, broker_order_id: str, **changes: object) -> BrokerOrder:
        raise BrokerRejected("not supported here", status=422)

    def open_orders(self) -> list[BrokerOrder]:
        return [order for order in self.orders.values() if order.is_open]

    def fills(self, *, after: datetime | None = None) -> list[BrokerFill]:
        return [f for f in self.executions if after is None or f.filled_at > after]

    def positions(self) -> list[BrokerPosition]:
        quantities = dict(self.planted_positions)
        for fill in self.executions:
            signed = fill.quantity if fill.side == "buy" else -fill.quantity
            quantities[fill.symbol] = quantities.get(fill.symbol, Decimal(0)) + signed
        return [
            BrokerPosition(symbol=s, quantity=q, average_entry_price=Decimal(0))
            for s, q in quantities.items()
            if q
        ]

    def account(self) -> BrokerAccount:
        cash = self.cash
        for fill in self.executions:
            flow = fill.quantity * fill.price
            cash += (flow if fill.side == "sell" else -flow) - fill.fee
        return BrokerAccount(cash=cash, buying_power=cash, equity=cash)

    # -- what the market and the tests do -------------------------------------------------
    def execute(
        self, client_order_id: str, quantity: str, price: str, fee: str = "0"
    ) -> OrderUpdate:
        """Fill (part of) an order and return the trade update the stream would carry."""
        order = self.order_by_client_id(client_order_id)
        filled = order.filled_quantity + Decimal(quantity)
        fill = BrokerFill(
            broker_fill_id=f"{self._prefix}exec-{next(self._ids)}",
            quantity=Decimal(quantity),
            price=Decimal(price),
            fee=Decimal(fee),
            filled_at=clock.now(),
            broker_order_id=order.broker_order_id,
            client_order_id=client_order_id,
            symbol=order.symbol,
            side=order.side,
        )
        status = "filled" if filled >= order.quantity else "partially_filled"
        order = replace(
            order, filled_quantity=filled, average_fill_price=Decimal(price), status=status,
            updated_at=clock.now(),
        )  # fmt: skip
        self.orders[order.broker_order_id] = order
        self.executions.append(fill)
        event = "fill" if status == "filled" else "partial_fill"
        return OrderUpdate(
            event=event, order=order, at=clock.now(), source="stream",
            event_id=fill.broker_fill_id, fill=fill,
        )  # fmt: skip

    def plant_order(self, client_order_id: str, symbol: str, quantity: str = "1") -> BrokerOrder:
        order = BrokerOrder(
            broker_order_id=f"{self._prefix}mem-{next(self._ids)}", client_order_id=client_order_id,
            symbol=symbol, side="buy", quantity=Decimal(quantity), filled_quantity=Decimal(0),
            average_fill_price=None, status="new",
        )  # fmt: skip
        self.orders[order.broker_order_id] = order
        return order

    def forget(self, client_order_id: str) -> None:
        order = self.order_by_client_id(client_order_id)
        del self.orders[order.broker_order_id]
