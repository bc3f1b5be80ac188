from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum

from execution.choices import OPEN_STATUSES
from execution.models import Fill, Order, Position, Strategy


def strategy_list(*, enabled: bool | None = True) -> QuerySet[Strategy]:
    strategies = Strategy.objects.select_related("registered_model")
    return strategies if enabled is None else strategies.filter(enabled=enabled)


def order_list(*, status: str | None = None) -> QuerySet[Order]:
    orders = Order.objects.select_related("strategy", "instrument")
    return orders if status is None else orders.filter(status=status)


def orders_open() -> QuerySet[Order]:
    return order_list().filter(status__in=OPEN_STATUSES)


def order_counts_by_status() -> dict[str, int]:
    return dict(Order.objects.values_list("status").annotate(n=Count("id")).order_by())


def position_quantity(*, strategy_id: int, instrument_id: int) -> Decimal:
    position = Position.objects.filter(strategy_id=strategy_id, instrument_id=instrument_id).first()
    return position.quantity if position else Decimal(0)


def has_open_order(*, strategy_id: int, instrument_id: int) -> bool:
    return Order.objects.filter(
        strategy_id=strategy_id, instrument_id=instrument_id, status__in=OPEN_STATUSES
    ).exists()


def pnl_totals() -> dict[str, Decimal]:
    totals = Position.objects.aggregate(
        realized=Sum("realized_pnl"),
        unrealized=Sum("unrealized_pnl"),
        open_positions=Count("id", filter=~Q(quantity=0)),
    )
    return {
        "realized": totals["realized"] or Decimal(0),
        "unrealized": totals["unrealized"] or Decimal(0),
        "open_positions": totals["open_positions"],
    }


def daily_pnl(*, since: datetime) -> Decimal:
    """PnL of the trading day: realized on fills since ``since`` plus open positions' unrealized.

    Derived from fills and marks every time, never from a running counter that a missed reset
    could corrupt.
    """
    realized = Fill.objects.filter(filled_at__gte=since).aggregate(total=Sum("realized_pnl"))
    unrealized = Position.objects.aggregate(total=Sum("unrealized_pnl"))
    return (realized["total"] or Decimal(0)) + (unrealized["total"] or Decimal(0))


def pnl_by_strategy() -> dict[str, dict[str, Decimal]]:
    rows = (
        Position.objects.values("strategy__name")
        .annotate(realized=Sum("realized_pnl"), unrealized=Sum("unrealized_pnl"))
        .order_by()
    )
    return {
        row["strategy__name"]: {"realized": row["realized"], "unrealized": row["unrealized"]}
        for row in rows
    }


def instrument_position_quantity(*, instrument_id: int) -> Decimal:
    """Every strategy's position in the instrument: the book's, for the position limit."""
    total = Position.objects.filter(instrument_id=instrument_id).aggregate(q=Sum("quantity"))
    return total["q"] or Decimal(0)


def book_exposure() -> dict[str, Decimal]:
    """Gross (sum of |quantity| x mark) and net (sum of quantity x mark) exposure; a position
    not yet marked counts at its average price."""
    gross = net = Decimal(0)
    for quantity, mark, average in Position.objects.exclude(quantity=0).values_list(
        "quantity", "mark_price", "average_price"
    ):
        value = quantity * (mark if mark is not None else average)
        gross += abs(value)
        net += value
    return {"gross": gross, "net": net}


def strategy_closed_trades(*, strategy_id: int, limit: int = 50) -> list[tuple[datetime, Decimal]]:
    """(fill time, realized PnL) of the strategy's fills that realized PnL, oldest first.

    A fill that closes (part of) a position realizes PnL; with the paper broker's zero fees an
    opening fill realizes exactly zero, so non-zero realized PnL marks a closed trade.
    """
    fills = (
        Fill.objects.filter(order__strategy_id=strategy_id)
        .exclude(realized_pnl=0)
        .order_by("-filled_at", "-id")
        .values_list("filled_at", "realized_pnl")[:limit]
    )
    return list(reversed(fills))
