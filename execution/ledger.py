"""The books' own invariants (pure): what orders, their fills, positions and cash must agree on.

The one service that applies order updates keeps these true; this module re-checks them from
plain data, so a break that slipped past it (a lost fill, a status without its fill, a
position moved twice) is found by the periodic ledger check, the soak and the game days.

1. An order's ``filled_quantity`` equals the sum of its fills.
2. An order is ``filled`` only when that sum equals its quantity; a ``partially_filled`` one
   has a sum above zero and below its quantity; no order's fills exceed its quantity.
3. Every (strategy, instrument) position equals the signed sum of its orders' fills
   (buys +, sells -); a position without fills must be flat.
4. The cash the project shows equals starting cash minus the signed notional of every fill
   (buys pay, sells receive) minus every fee.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

ZERO = Decimal(0)

ORDER_FILLED_QUANTITY = "order_filled_quantity"
ORDER_STATUS = "order_status"
POSITION_QUANTITY = "position_quantity"
CASH = "cash"


@dataclass(frozen=True, slots=True)
class OrderFacts:
    """One order as stored, and the totals of its fill rows."""

    client_order_id: str
    strategy: str
    symbol: str
    side: str  # "buy" | "sell"
    quantity: Decimal
    status: str
    filled_quantity: Decimal
    fills_quantity: Decimal = ZERO
    fills_notional: Decimal = ZERO  # sum of quantity x price
    fills_fee: Decimal = ZERO

    @property
    def signed_fills(self) -> Decimal:
        return self.fills_quantity if self.side == "buy" else -self.fills_quantity


@dataclass(frozen=True, slots=True)
class PositionFacts:
    strategy: str
    symbol: str
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class CashFacts:
    starting: Decimal
    shown: Decimal  # the cash figure the project shows and reconciles with the broker


@dataclass(frozen=True, slots=True)
class Break:
    """One invariant that does not hold: ``expected`` is what the fills say, ``actual`` what
    the books store. ``subject`` names the object: a client order id, ``strategy/symbol`` for
    a position, ``cash`` for the account."""

    check: str
    subject: str
    expected: Decimal
    actual: Decimal
    detail: str
    strategy: str = ""
    symbol: str = ""

    @property
    def fingerprint(self) -> str:
        return f"ledger:{self.check}:{self.subject}"

    def as_dict(self) -> dict[str, str]:
        return {
            "check": self.check,
            "subject": self.subject,
            "expected": str(self.expected),
            "actual": str(self.actual),
            "detail": self.detail,
        }


def order_breaks(order: OrderFacts) -> list[Break]:
    """Invariants 1 and 2 for one order."""
    found = []
    total = order.fills_quantity
    if order.filled_quantity != total:
        found.append(
            _order_break(
                ORDER_FILLED_QUANTITY,
                order,
                expected=total,
                actual=order.filled_quantity,
                detail=f"filled quantity {order.filled_quantity}, its fills sum to {total}",
            )
        )
    if problem := _status_problem(order):
        found.append(
            _order_break(ORDER_STATUS, order, expected=order.quantity, actual=total, detail=problem)
        )
    return found


def _status_problem(order: OrderFacts) -> str:
    total, quantity = order.fills_quantity, order.quantity
    if order.status == "filled" and total != quantity:
        return f"filled, but its fills sum to {total} of {quantity}"
    if order.status == "partially_filled" and not ZERO < total < quantity:
        return f"partially filled, but its fills sum to {total} of {quantity}"
    if total > quantity:
        return f"{order.status}, and its fills sum to {total}, over its quantity {quantity}"
    return ""


def _order_break(
    check: str, order: OrderFacts, *, expected: Decimal, actual: Decimal, detail: str
) -> Break:
    return Break(
        check, order.client_order_id, expected, actual, detail, order.strategy, order.symbol
    )


def position_breaks(
    orders: Iterable[OrderFacts], positions: Iterable[PositionFacts]
) -> list[Break]:
    """Invariant 3: each stored position against the signed sum of its fills; a book with
    fills and no position row counts as a stored position of 0."""
    expected: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for order in orders:
        expected[(order.strategy, order.symbol)] += order.signed_fills
    stored = {(p.strategy, p.symbol): p.quantity for p in positions}
    found = []
    for strategy, symbol in sorted(set(expected) | set(stored)):
        want, have = expected.get((strategy, symbol), ZERO), stored.get((strategy, symbol), ZERO)
        if want != have:
            detail = f"position {have}, its fills sum to {want}"
            found.append(
                Break(
                    POSITION_QUANTITY, f"{strategy}/{symbol}", want, have, detail, strategy, symbol
                )
            )
    return found


def cash_expected(orders: Iterable[OrderFacts], starting: Decimal) -> Decimal:
    """Starting cash, minus what buys cost, plus what sells brought, minus every fee."""
    cash = starting
    for order in orders:
        signed = order.fills_notional if order.side == "buy" else -order.fills_notional
        cash -= signed + order.fills_fee
    return cash


def cash_breaks(
    orders: Iterable[OrderFacts], cash: CashFacts, *, tolerance: Decimal = ZERO
) -> list[Break]:
    """Invariant 4, within ``tolerance`` (a database that sums money in floating point, as
    SQLite does, may differ in the last digits)."""
    expected = cash_expected(orders, cash.starting)
    if abs(expected - cash.shown) <= tolerance:
        return []
    detail = f"cash shown {cash.shown}, starting cash and fills give {expected}"
    return [Break(CASH, "cash", expected, cash.shown, detail)]


def ledger_breaks(
    orders: Sequence[OrderFacts],
    positions: Sequence[PositionFacts],
    cash: CashFacts | None = None,
    *,
    cash_tolerance: Decimal = ZERO,
) -> list[Break]:
    """Every invariant the books break, orders first; empty means the books agree."""
    found = [item for order in orders for item in order_breaks(order)]
    found += position_breaks(orders, positions)
    if cash is not None:
        found += cash_breaks(orders, cash, tolerance=cash_tolerance)
    return found
