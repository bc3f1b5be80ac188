"""Position and PnL arithmetic at average cost (pure, Decimal only)."""

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
