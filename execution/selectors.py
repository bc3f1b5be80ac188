from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Max,
    Q,
    QuerySet,
    Sum,
    When,
)

from execution.brokers.contract import BrokerAccount, BrokerPosition, OrderRequest
from execution.brokers.paper import PaperOrder
from execution.choices import OPEN_STATUSES, BreakStatus, OrderStatus
from execution.ledger import OrderFacts, PositionFacts
from execution.models import Fill, Order, Position, ReconciliationBreak, Strategy


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


def order_request_for(order: Order) -> OrderRequest:
    """What the broker is sent for an order (the same on every retry)."""
    return OrderRequest(
        client_order_id=order.client_order_id,
        symbol=order.instrument.symbol,
        side=order.side,
        quantity=order.quantity,
        order_type=order.order_type,
        time_in_force=order.time_in_force,
        limit_price=order.limit_price,
        instrument_id=order.instrument_id,
        placed_after=order.bar_timestamp,
    )


def fills_watermark(*, broker: str) -> datetime | None:
    """Time of the newest fill recorded from ``broker``: the poll reads the account's fills
    from there (minus an overlap), so nothing needs storing besides the fills themselves."""
    return Fill.objects.filter(order__broker=broker).aggregate(newest=Max("filled_at"))["newest"]


def account_cash() -> Decimal:
    """Cash derived from fills: the account's capital, minus what buys cost, plus what sells
    brought, minus every fee."""
    flows = Fill.objects.aggregate(
        flow=Sum(
            Case(
                When(order__side="buy", then=-F("quantity") * F("price")),
                default=F("quantity") * F("price"),
            )
            - F("fee")
        )
    )
    return settings.PAPER_ACCOUNT_CAPITAL + (flows["flow"] or Decimal(0))


def account_view() -> dict[str, Decimal]:
    """Our view of the account, which reconciliation compares with the broker's: cash from
    fills, positions at their last trusted mark (average price until marked)."""
    cash = account_cash()
    exposure = book_exposure()
    totals = pnl_totals()
    return {
        "cash": cash,
        "equity": cash + exposure["net"],
        "gross_exposure": exposure["gross"],
        "realized_pnl": totals["realized"],
        "unrealized_pnl": totals["unrealized"],
    }


def position_quantities_by_symbol() -> dict[str, Decimal]:
    """Every strategy's positions summed per symbol: the account-level view a broker has."""
    rows = (
        Position.objects.values("instrument__symbol").annotate(quantity=Sum("quantity")).order_by()
    )
    return {row["instrument__symbol"]: row["quantity"] for row in rows if row["quantity"]}


def orders_awaiting_ack(*, broker: str) -> QuerySet[Order]:
    return order_list(status=OrderStatus.PENDING_NEW).filter(broker=broker)


def orders_working(*, broker: str) -> QuerySet[Order]:
    """Orders the broker acknowledged that are not final here."""
    return orders_open().filter(broker=broker).exclude(status=OrderStatus.PENDING_NEW)


def reconciliation_breaks_open_by_kind() -> dict[str, int]:
    return dict(
        ReconciliationBreak.objects.filter(status=BreakStatus.OPEN)
        .values_list("kind")
        .annotate(n=Count("id"))
        .order_by()
    )


def ledger_order_facts() -> list[OrderFacts]:
    """Every order with the totals of its fill rows, in one grouped query (for the ledger
    check, which must not load fills order by order)."""
    notional = ExpressionWrapper(
        F("fills__quantity") * F("fills__price"),
        output_field=DecimalField(max_digits=40, decimal_places=12),
    )
    rows = (
        Order.objects.order_by()
        .values(
            "client_order_id",
            "strategy__name",
            "instrument__symbol",
            "side",
            "quantity",
            "status",
            "filled_quantity",
        )
        .annotate(
            fills_quantity=Sum("fills__quantity"),
            fills_notional=Sum(notional),
            fills_fee=Sum("fills__fee"),
        )
    )
    zero = Decimal(0)
    return [
        OrderFacts(
            client_order_id=row["client_order_id"],
            strategy=row["strategy__name"],
            symbol=row["instrument__symbol"],
            side=row["side"],
            quantity=row["quantity"],
            status=row["status"],
            filled_quantity=row["filled_quantity"],
            fills_quantity=row["fills_quantity"] or zero,
            fills_notional=row["fills_notional"] or zero,
            fills_fee=row["fills_fee"] or zero,
        )
        for row in rows
    ]


def ledger_position_facts() -> list[PositionFacts]:
    return [
        PositionFacts(strategy=strategy, symbol=symbol, quantity=quantity)
        for strategy, symbol, quantity in Position.objects.order_by().values_list(
            "strategy__name", "instrument__symbol", "quantity"
        )
    ]


class DatabasePaperBook:
    """The in-process paper broker's memory: our order rows sent to it, our positions and
    our cash (so reconciling with the paper broker checks our books against themselves)."""

    _cancel_asked = (OrderStatus.PENDING_CANCEL, OrderStatus.CANCELED)

    def _sent(self) -> QuerySet[Order]:
        return order_list().filter(broker="paper")

    def _paper_order(self, order: Order) -> PaperOrder:
        return PaperOrder(order_request_for(order), order.status in self._cancel_asked)

    def order(self, client_order_id: str) -> PaperOrder | None:
        order = self._sent().filter(client_order_id=client_order_id).first()
        return self._paper_order(order) if order else None

    def working(self) -> list[PaperOrder]:
        return [self._paper_order(order) for order in self._sent().filter(status__in=OPEN_STATUSES)]

    def positions(self) -> list[BrokerPosition]:
        return [
            BrokerPosition(symbol=symbol, quantity=quantity, average_entry_price=Decimal(0))
            for symbol, quantity in position_quantities_by_symbol().items()
        ]

    def account(self) -> BrokerAccount:
        view = account_view()
        return BrokerAccount(
            cash=view["cash"],
            buying_power=view["equity"] - view["gross_exposure"],
            equity=view["equity"],
        )
