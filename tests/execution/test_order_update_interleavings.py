"""Random interleavings of broker updates never break the books (hypothesis state machine).

The broker (the in-memory one, which keeps the contract's promises) acknowledges, part-fills,
fills and cancels orders; the trade updates it emits are delivered late, out of order and more
than once, and polls (which see order states without their fills) run in between. After every
step: an order's filled quantity is the sum of its fills, ``filled`` means the fills cover the
quantity, a position is the signed sum of its fills. Once everything is delivered and polled,
our books equal the broker's.
"""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from django.db.models import Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from common import clock
from execution.brokers.contract import OrderUpdate
from execution.models import Fill, Order, Position
from execution.selectors import order_request_for
from execution.services import order_update_apply, order_updates_poll
from tests.execution.factories import StrategyFactory
from tests.execution.memory_broker import MemoryBroker

pytestmark = pytest.mark.django_db

_runs = itertools.count()


class OrderUpdateInterleavings(RuleBasedStateMachine):
    instruments: list = []

    @initialize()
    def open_desk(self) -> None:
        self.run = next(_runs)
        # Hypothesis runs every example in the test's one transaction: ids must not repeat.
        self.broker = MemoryBroker(id_prefix=f"il{self.run}-")
        self.strategy = StrategyFactory(name=f"interleave-{self.run}", instruments=self.instruments)
        self.orders: list[Order] = []
        self.undelivered: list[OrderUpdate] = []
        self.delivered: list[OrderUpdate] = []

    def _remote(self, order: Order):
        return self.broker.order_by_client_id(order.client_order_id)

    @rule(side=st.sampled_from(["buy", "sell"]), quantity=st.integers(1, 20))
    def submit(self, side: str, quantity: int) -> None:
        n = len(self.orders)
        order = Order.objects.create(
            client_order_id=f"il-{self.run}-{n}", strategy=self.strategy,
            instrument=self.instruments[n % len(self.instruments)], side=side,
            quantity=Decimal(quantity), reference_price=Decimal("100"),
            bar_timestamp=clock.now(), broker=self.broker.name, submitted_at=clock.now(),
        )  # fmt: skip
        remote = self.broker.submit(order_request_for(order))
        self.orders.append(order)
        self.undelivered.append(
            OrderUpdate(event="new", order=remote, at=clock.now(), source="stream",
                        event_id=f"{remote.broker_order_id}:new")
        )  # fmt: skip

    def _open_remotes(self):
        return [o for o in self.orders if self._remote(o).is_open]

    @precondition(lambda self: self._open_remotes())
    @rule(data=st.data(), part=st.fractions(0, 1))
    def execute(self, data, part) -> None:
        order = data.draw(st.sampled_from(self._open_remotes()))
        remote = self._remote(order)
        remaining = remote.quantity - remote.filled_quantity
        quantity = max(Decimal(1), (remaining * Decimal(part.numerator) / part.denominator))
        quantity = min(remaining, quantity.to_integral_value())
        price = str(100 + len(self.broker.executions))
        self.undelivered.append(self.broker.execute(order.client_order_id, str(quantity), price))

    @precondition(lambda self: self._open_remotes())
    @rule(data=st.data())
    def cancel(self, data) -> None:
        order = data.draw(st.sampled_from(self._open_remotes()))
        remote = self._remote(order)
        self.broker.cancel(remote.broker_order_id)
        canceled = self._remote(order)
        self.undelivered.append(
            OrderUpdate(event="canceled", order=canceled, at=clock.now(), source="stream",
                        event_id=f"{remote.broker_order_id}:canceled")
        )  # fmt: skip

    @precondition(lambda self: self.undelivered)
    @rule(data=st.data(), again=st.booleans())
    def deliver(self, data, again: bool) -> None:
        """One pending update, in any order; ``again`` keeps it to be delivered once more."""
        index = data.draw(st.integers(0, len(self.undelivered) - 1))
        update = self.undelivered[index] if again else self.undelivered.pop(index)
        order_update_apply(update=update)
        self.delivered.append(update)

    @precondition(lambda self: self.delivered)
    @rule(data=st.data())
    def replay(self, data) -> None:
        """An update delivered before comes again, under another source (a poll's view)."""
        update = data.draw(st.sampled_from(self.delivered))
        order_update_apply(update=update)

    @rule()
    def poll(self) -> None:
        order_updates_poll(broker=self.broker)

    @invariant()
    def books_hold(self) -> None:
        for order in self.orders:
            order.refresh_from_db()
            fills = order.fills.aggregate(total=Sum("quantity"))["total"] or Decimal(0)
            assert order.filled_quantity == fills, order.client_order_id
            assert order.filled_quantity <= order.quantity
            if order.status == "filled":
                assert order.filled_quantity == order.quantity
            if order.status == "partially_filled":
                assert 0 < order.filled_quantity < order.quantity
        for position in Position.objects.filter(strategy=self.strategy):
            signed = Decimal(0)
            for fill in Fill.objects.filter(
                order__strategy=self.strategy, order__instrument=position.instrument
            ).select_related("order"):
                signed += fill.quantity if fill.order.side == "buy" else -fill.quantity
            assert position.quantity == signed

    def teardown(self) -> None:
        # Everything delivered, then a poll: our books are the broker's.
        if not hasattr(self, "broker"):
            return
        for update in self.undelivered:
            order_update_apply(update=update)
        order_updates_poll(broker=self.broker)
        for order in self.orders:
            order.refresh_from_db()
            remote = self._remote(order)
            assert order.filled_quantity == remote.filled_quantity, order.client_order_id
            if remote.status in ("filled", "canceled"):
                assert order.status == remote.status, (order.client_order_id, remote.status)


def test_random_interleavings_of_updates_keep_the_books(instruments):
    OrderUpdateInterleavings.instruments = instruments
    run_state_machine_as_test(
        OrderUpdateInterleavings,
        settings=settings(
            max_examples=30, stateful_step_count=25, deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )  # fmt: skip
