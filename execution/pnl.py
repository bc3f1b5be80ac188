"""Position and PnL arithmetic at average cost or FIFO (pure, Decimal only)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class PositionState:
    quantity: Decimal  # signed: long > 0, short < 0
    average_price: Decimal


def apply_fill(
    position: PositionState, *, side: str, quantity: Decimal, price: Decimal, fee: Decimal = ZERO
) -> tuple[PositionState, Decimal]:
    """The position after a fill, and the PnL the fill realised (net of its fee).

    A fill in the direction of the position moves the average price; one against it realises
    PnL on the closed part at the old average, and any excess opens the other way at ``price``.
    """
    signed = quantity if side == "buy" else -quantity
    current = position.quantity
    if current == 0 or (current > 0) == (signed > 0):
        total = current + signed
        average = (current * position.average_price + signed * price) / total
        return PositionState(total, average), -fee
    closed = min(abs(signed), abs(current))
    direction = Decimal(1) if current > 0 else Decimal(-1)
    realized = closed * (price - position.average_price) * direction - fee
    remaining = current + signed
    if remaining == 0:
        return PositionState(ZERO, ZERO), realized
    if (remaining > 0) == (current > 0):
        return PositionState(remaining, position.average_price), realized
    return PositionState(remaining, price), realized


def unrealized_pnl(position: PositionState, mark: Decimal) -> Decimal:
    return position.quantity * (mark - position.average_price)


@dataclass(frozen=True, slots=True)
class Lot:
    """An open lot: signed quantity at its opening price; ``ref`` is the caller's id for it
    (None for a lot the fill just opened)."""

    quantity: Decimal
    price: Decimal
    ref: int | None = None


@dataclass(frozen=True, slots=True)
class FillResult:
    state: PositionState
    lots: tuple[Lot, ...]
    realized: Decimal


def lots_after_fill(
    lots: tuple[Lot, ...], *, side: str, quantity: Decimal, price: Decimal
) -> tuple[tuple[Lot, ...], Decimal]:
    """The open lots after a fill (oldest closed first) and the FIFO PnL it realised,
    before fees."""
    signed = quantity if side == "buy" else -quantity
    if not lots or (lots[0].quantity > 0) == (signed > 0):
        return (*lots, Lot(signed, price)), ZERO
    remaining, realized, kept = abs(signed), ZERO, []
    for lot in lots:
        take = min(remaining, abs(lot.quantity))
        direction = Decimal(1) if lot.quantity > 0 else Decimal(-1)
        realized += take * (price - lot.price) * direction
        remaining -= take
        if take < abs(lot.quantity):
            kept.append(Lot(lot.quantity - take * direction, lot.price, lot.ref))
    if remaining > 0:
        kept.append(Lot(remaining if signed > 0 else -remaining, price))
    return tuple(kept), realized


def position_after_fill(
    method: str,
    state: PositionState,
    lots: tuple[Lot, ...],
    *,
    side: str,
    quantity: Decimal,
    price: Decimal,
    fee: Decimal = ZERO,
) -> FillResult:
    """Apply a fill by ``method`` ("average" or "fifo"); both net the fee from realized PnL.

    The lots are kept under both methods so the inventory is always known; under "average"
    the realized PnL and the average price come from the average cost instead of the lots.
    """
    new_lots, fifo_realized = lots_after_fill(lots, side=side, quantity=quantity, price=price)
    if method == "fifo":
        total = sum((lot.quantity for lot in new_lots), ZERO)
        cost = sum((lot.quantity * lot.price for lot in new_lots), ZERO)
        average = cost / total if total else ZERO
        return FillResult(PositionState(total, average), new_lots, fifo_realized - fee)
    if method != "average":
        raise ValueError(f"unknown PnL method {method!r}: use average or fifo")
    new_state, realized = apply_fill(state, side=side, quantity=quantity, price=price, fee=fee)
    return FillResult(new_state, new_lots, realized)
