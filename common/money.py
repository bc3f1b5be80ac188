"""Money and quantities are Decimal: floats only live inside feature and model code."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal

PRICE_PLACES = Decimal("0.000001")
QUANTITY_PLACES = Decimal("0.000001")
BPS = Decimal("10000")


def quantize_price(value: Decimal) -> Decimal:
    return value.quantize(PRICE_PLACES, rounding=ROUND_HALF_EVEN)


def quantity_for_notional(notional: Decimal, price: Decimal, lot_size: Decimal) -> Decimal:
    """Whole lots that fit in ``notional`` at ``price``: rounds down, never over-spends."""
    if price <= 0 or lot_size <= 0:
        raise ValueError("price and lot size must be positive")
    lots = (notional / price / lot_size).to_integral_value(rounding=ROUND_DOWN)
    return (lots * lot_size).quantize(QUANTITY_PLACES)


def apply_bps(price: Decimal, bps: Decimal) -> Decimal:
    """``price`` moved by ``bps`` basis points (negative moves down)."""
    return price * (BPS + bps) / BPS
