"""From a signal to an order intent (pure): long-only, one fixed notional per entry."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from common.money import quantity_for_notional


@dataclass(frozen=True, slots=True)
class EntryRule:
    notional_per_trade: Decimal
    min_confidence: float


@dataclass(frozen=True, slots=True)
class IntendedOrder:
    side: str
    quantity: Decimal


def intended_order(
    *,
    rule: EntryRule,
    direction_up: bool,
    confidence: float,
    position_quantity: Decimal,
    price: Decimal,
    lot_size: Decimal,
) -> IntendedOrder | None:
    """Buy on a confident up-call when flat; sell the whole long on a confident down-call."""
    if confidence < rule.min_confidence:
        return None
    if direction_up and position_quantity == 0:
        quantity = quantity_for_notional(rule.notional_per_trade, price, lot_size)
        return IntendedOrder("buy", quantity) if quantity > 0 else None
    if not direction_up and position_quantity > 0:
        return IntendedOrder("sell", position_quantity)
    return None
