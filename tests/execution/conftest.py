from __future__ import annotations

from decimal import Decimal

import pytest

from execution.models import Order
from execution.selectors import order_request_for
from tests.execution.factories import StrategyFactory
from tests.execution.memory_broker import MemoryBroker


@pytest.fixture
def memory_broker() -> MemoryBroker:
    return MemoryBroker()


@pytest.fixture
def desk(instruments):
    """A strategy on the instruments, without a trained model (for order-level tests)."""
    return StrategyFactory(name="desk-strategy", instruments=instruments)


@pytest.fixture
def sent_order(desk, instruments, frozen_clock, memory_broker):
    """An order row sent to the memory broker and acknowledged there: ``(row, broker order)``
    (the row itself still in pending_new until an update is applied)."""

    def make(client_order_id="ord-1", side="buy", quantity="10", symbol_index=0):
        order = Order.objects.create(
            client_order_id=client_order_id,
            strategy=desk,
            instrument=instruments[symbol_index],
            side=side,
            quantity=Decimal(quantity),
            reference_price=Decimal("100"),
            bar_timestamp=frozen_clock.now(),
            broker=memory_broker.name,
            submitted_at=frozen_clock.now(),
        )
        return order, memory_broker.submit(order_request_for(order))

    return make
