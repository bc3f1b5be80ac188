"""Positions, lots and PnL derived from fills, and marks to the last trusted price."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings

from common.money import quantize_price
from execution import pnl
from execution.brokers.contract import BrokerFill
from execution.models import Fill, Order, Position, PositionLot
from marketdata.selectors import bar_latest


def fill_book(*, order: Order, fill: BrokerFill) -> Fill:
    """Write one new fill and move its position, lots and realized PnL.

    The caller holds the order's row lock inside its transaction and has checked the
    execution id is new; the position row is locked here too, so two fills of the same
    strategy and instrument (two orders) are applied one after the other.
    """
    position, _ = Position.objects.select_for_update().get_or_create(
        strategy_id=order.strategy_id, instrument_id=order.instrument_id
    )
    lots = tuple(pnl.Lot(lot.quantity, lot.price, lot.pk) for lot in position.lots.all())
    result = pnl.position_after_fill(
        settings.EXECUTION_PNL_METHOD,
        pnl.PositionState(position.quantity, position.average_price),
        lots,
        side=order.side,
        quantity=fill.quantity,
        price=fill.price,
        fee=fill.fee,
    )
    record = Fill.objects.create(
        order=order,
        broker_fill_id=fill.broker_fill_id,
        quantity=fill.quantity,
        price=fill.price,
        fee=fill.fee,
        realized_pnl=result.realized,
        filled_at=fill.filled_at,
    )
    _lots_store(position, lots, result.lots, record)
    position.quantity = result.state.quantity
    position.average_price = quantize_price(result.state.average_price)
    position.realized_pnl += result.realized
    position.mark_price = position.mark_price or fill.price
    position.unrealized_pnl = pnl.unrealized_pnl(result.state, position.mark_price)
    position.save()
    return record


def _lots_store(
    position: Position, before: tuple[pnl.Lot, ...], after: tuple[pnl.Lot, ...], fill: Fill
) -> None:
    kept = {lot.ref: lot for lot in after if lot.ref is not None}
    for lot in before:
        if lot.ref is None:  # not stored: a stored lot always carries its row's id
            continue
        if lot.ref not in kept:
            PositionLot.objects.filter(pk=lot.ref).delete()
        elif kept[lot.ref].quantity != lot.quantity:
            PositionLot.objects.filter(pk=lot.ref).update(quantity=kept[lot.ref].quantity)
    for lot in after:
        if lot.ref is None:
            PositionLot.objects.create(
                position=position,
                fill=fill,
                quantity=lot.quantity,
                price=lot.price,
                opened_at=fill.filled_at,
            )


def order_fill_totals(order: Order, fill: BrokerFill) -> None:
    """Add a fill to its order's filled quantity and average fill price (caller saves)."""
    filled_before = order.filled_quantity
    order.filled_quantity = filled_before + fill.quantity
    order.average_fill_price = quantize_price(
        ((order.average_fill_price or Decimal(0)) * filled_before + fill.price * fill.quantity)
        / order.filled_quantity
    )
    order.filled_at = fill.filled_at


def positions_mark(*, timeframe: str | None = None) -> int:
    """Mark every open position to its instrument's newest trusted close."""
    timeframe = timeframe or settings.MARKETDATA_TIMEFRAME
    marked = 0
    for position in Position.objects.exclude(quantity=0):
        bar = bar_latest(instrument_id=position.instrument_id, timeframe=timeframe)
        if bar is None:
            continue
        state = pnl.PositionState(position.quantity, position.average_price)
        position.mark_price, position.marked_at = bar.close, bar.timestamp
        position.unrealized_pnl = pnl.unrealized_pnl(state, bar.close)
        position.save(update_fields=["mark_price", "marked_at", "unrealized_pnl", "updated_at"])
        marked += 1
    return marked
