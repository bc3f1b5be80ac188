"""Lost fills: orders closed as filled with no fill behind them.

Root cause: the poll reads the account's fills (step 2) and then each working order's state
(step 3). With the in-process paper broker an order is filled once its instrument's next bar
exists, and that fill is stamped with the bar's time. Two ways made step 3 see a filled order
whose fill step 2 had not handed over: the bar landed between the two reads (ingest runs
beside the poll), or the fill's bar time was older than the newest booked fill minus the
overlap (fills are not booked in time order across instruments). The order update service
then took the status "filled" alone, the order became final, and final orders are never
polled again: the fill was lost. These tests drive the real paper broker over real bars.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from execution.brokers.contract import OrderUpdate
from execution.brokers.paper import PaperBroker
from execution.models import Fill, Order, OrderEvent, Position
from execution.services import order_update_apply, order_updates_poll
from execution.services.broker import get_broker
from tests.execution.factories import StrategyFactory
from tests.marketdata.factories import BarFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


@pytest.fixture
def desk(instruments):
    return StrategyFactory(name="lost-fills-desk", instruments=instruments)


def _working_paper_order(desk, instrument, decided_on: datetime, name: str, qty="5") -> Order:
    """A market order the paper broker acknowledged, decided on the bar at ``decided_on``."""
    return Order.objects.create(
        client_order_id=name,
        strategy=desk,
        instrument=instrument,
        side="buy",
        quantity=Decimal(qty),
        reference_price=Decimal("100"),
        bar_timestamp=decided_on,
        broker="paper",
        broker_order_id=f"paper-{name}",
        status="new",
        submitted_at=decided_on + timedelta(seconds=5),
    )


def _bar(instrument, at: datetime, open_price="100.00") -> None:
    BarFactory(instrument=instrument, timestamp=at, open=Decimal(open_price))


def _assert_books_hold(order: Order) -> None:
    order.refresh_from_db()
    fills = list(Fill.objects.filter(order=order))
    assert sum((fill.quantity for fill in fills), Decimal(0)) == order.filled_quantity
    if order.status == "filled":
        assert order.filled_quantity == order.quantity
        assert order.average_fill_price is not None


def test_a_fill_older_than_the_watermark_minus_the_overlap_is_still_booked(
    desk, instruments, settings
):
    settings.EXECUTION_BROKER = "paper"
    settings.EXECUTION_POLL_OVERLAP_SECONDS = 60
    aapl, msft = instruments[0], instruments[1]
    # AAPL's order fills at 15:10; MSFT's was decided on an older bar, its fill is at 15:01.
    first = _working_paper_order(desk, aapl, T0 + timedelta(minutes=9), "aapl-1")
    _bar(aapl, T0 + timedelta(minutes=10))
    order_updates_poll()
    first.refresh_from_db()
    assert first.status == "filled"

    late = _working_paper_order(desk, msft, T0, "msft-1")
    _bar(msft, T0 + timedelta(minutes=1), open_price="250.00")
    report = order_updates_poll()

    late.refresh_from_db()
    assert late.status == "filled"
    (fill,) = Fill.objects.filter(order=late)
    assert fill.quantity == Decimal("5") and fill.filled_at == T0 + timedelta(minutes=1)
    assert Position.objects.get(strategy=desk, instrument=msft).quantity == Decimal("5")
    assert report.fills == 1
    _assert_books_hold(late)


class BarLandsBetweenReads(PaperBroker):
    """The real paper broker, with ingest landing the next bar right after the poll has
    read the account's fills: the moment the demo's ingest and poll ran into each other."""

    def __init__(self, land) -> None:
        real = get_broker()
        super().__init__(
            slippage_bps=real.slippage_bps, next_bar_open=real.next_bar_open, book=real.book
        )
        self.land = land

    def fills(self, *, after=None):
        read = super().fills(after=after)
        if self.land is not None:
            self.land()
            self.land = None
        return read


def test_a_bar_landing_between_the_fills_read_and_the_order_read_loses_no_fill(
    desk, instruments, settings
):
    settings.EXECUTION_BROKER = "paper"
    order = _working_paper_order(desk, instruments[0], T0, "aapl-race")
    broker = BarLandsBetweenReads(lambda: _bar(instruments[0], T0 + timedelta(minutes=1)))

    order_updates_poll(broker=broker)

    _assert_books_hold(order)
    assert order.status == "filled"
    assert Fill.objects.filter(order=order).count() == 1
    # A second poll finds nothing more to do.
    assert order_updates_poll(broker=broker).as_dict() == {"fills": 0, "updates": 0, "pending": 0}


def test_a_filled_status_without_its_fill_keeps_the_order_working(sent_order, memory_broker):
    order, remote = sent_order()
    # The broker's view says filled, but hands over no execution.
    view = replace(remote, status="filled", filled_quantity=Decimal("10"))
    held = OrderUpdate(
        event="filled", order=view, at=remote.updated_at or T0, source="poll",
        event_id="poll:view:filled:10",
    )  # fmt: skip

    order_update_apply(update=held)

    order.refresh_from_db()
    assert (order.status, order.filled_quantity) == ("new", Decimal("0"))
    assert OrderEvent.objects.get(order=order).payload["broker_status"] == "filled"
    # The fill itself closes it.
    assert order_update_apply(update=memory_broker.execute("ord-1", "10", "101")) is True
    order.refresh_from_db()
    assert (order.status, order.filled_quantity) == ("filled", Decimal("10"))
    _assert_books_hold(order)
