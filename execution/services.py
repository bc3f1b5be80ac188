"""Execution writes: the trading cycle, order submission through the guard, fills, marks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

import structlog
from django.conf import settings
from django.db import transaction

from common import clock
from common.exceptions import ArtifactIntegrityError
from common.money import quantize_price
from execution import metrics, pnl
from execution.brokers.base import Broker, BrokerFill, OrderTicket
from execution.brokers.paper import PaperBroker
from execution.choices import OrderStatus
from execution.models import Fill, Order, Position, Strategy
from execution.selectors import (
    daily_pnl,
    has_open_order,
    order_list,
    position_quantity,
    strategy_list,
)
from execution.strategy import EntryRule, intended_order
from marketdata.models import Instrument
from marketdata.selectors import bar_latest, bar_next
from models_registry.choices import Direction
from models_registry.models import Signal
from models_registry.selectors import model_version_champion
from models_registry.services import shadow_signals_record, signals_generate
from risk import guard
from risk.services import order_intent_evaluate

logger = structlog.get_logger(__name__)


def _next_bar_open(instrument_id: int, after: datetime) -> tuple[datetime, Decimal] | None:
    bar = bar_next(
        instrument_id=instrument_id, timeframe=settings.MARKETDATA_TIMEFRAME, after=after
    )
    return (bar.timestamp, bar.open) if bar else None


def get_broker() -> Broker:
    return PaperBroker(
        slippage_bps=settings.PAPER_BROKER_SLIPPAGE_BPS, next_bar_open=_next_bar_open
    )


def client_order_id_for(*, strategy: str, symbol: str, bar_timestamp: datetime, side: str) -> str:
    """The order's identity, derived from its cause: the same cause always gives the same id."""
    return f"{strategy}-{symbol}-{bar_timestamp.astimezone(UTC):%Y%m%dT%H%M%SZ}-{side}"


def _ticket(order: Order) -> OrderTicket:
    return OrderTicket(
        client_order_id=order.client_order_id,
        instrument_id=order.instrument_id,
        symbol=order.instrument.symbol,
        side=order.side,
        quantity=order.quantity,
        placed_after=order.bar_timestamp,
    )


def _portfolio_snapshot(strategy: Strategy, instrument: Instrument) -> guard.PortfolioSnapshot:
    day_start = clock.start_of_day(clock.now(), settings.RISK_TRADING_DAY_TIMEZONE)
    return guard.PortfolioSnapshot(
        position_quantity=position_quantity(strategy_id=strategy.pk, instrument_id=instrument.pk),
        daily_pnl=daily_pnl(since=day_start),
    )


def order_submit(
    *,
    strategy: Strategy,
    instrument: Instrument,
    side: str,
    quantity: Decimal,
    reference_price: Decimal,
    bar_timestamp: datetime,
    signal: Signal | None = None,
    broker: Broker | None = None,
    request_id: str = "",
) -> Order:
    """Create the order for this cause once, put it through the risk guard, send it if approved.

    Idempotent: the ``client_order_id`` is derived from the cause and unique in the
    database, so a second call for the same cause returns the first order untouched. The
    paper broker runs in-process, so the order, its risk decision and its submission commit
    together or not at all.
    """
    broker = broker or get_broker()
    client_order_id = client_order_id_for(
        strategy=strategy.name, symbol=instrument.symbol, bar_timestamp=bar_timestamp, side=side
    )
    with transaction.atomic():
        order, created = Order.objects.get_or_create(
            client_order_id=client_order_id,
            defaults={
                "strategy": strategy,
                "instrument": instrument,
                "signal": signal,
                "side": side,
                "quantity": quantity,
                "reference_price": reference_price,
                "bar_timestamp": bar_timestamp,
            },
        )
        if not created:
            return order
        intent = guard.OrderIntent(
            client_order_id=client_order_id,
            strategy=strategy.name,
            symbol=instrument.symbol,
            side=side,
            quantity=quantity,
            reference_price=reference_price,
        )
        decision = order_intent_evaluate(
            intent=intent,
            portfolio=_portfolio_snapshot(strategy, instrument),
            request_id=request_id,
        )
        order.risk_decision = decision
        if decision.approved:
            ack = broker.submit(_ticket(order))
            order.status, order.broker, order.broker_order_id = (
                OrderStatus.SUBMITTED,
                broker.name,
                ack.broker_order_id,
            )
            order.submitted_at = clock.now()
        else:
            order.status = OrderStatus.REJECTED
            order.reject_reason = "; ".join(reason["message"] for reason in decision.reasons)
        order.save()
    metrics.ORDERS.labels(order.status).inc()
    return order


@transaction.atomic
def fill_record(*, order_id: int, fill: BrokerFill, broker_name: str) -> Fill | None:
    """Apply one broker fill to its order and position, once.

    The order row is locked first, then the fill's execution id is checked: a fill reported
    again (a re-poll, a retried task) finds its row and changes nothing.
    """
    order = Order.objects.select_for_update().get(pk=order_id)
    if Fill.objects.filter(broker_fill_id=fill.broker_fill_id).exists():
        return None
    position, _ = Position.objects.select_for_update().get_or_create(
        strategy_id=order.strategy_id, instrument_id=order.instrument_id
    )
    state, realized = pnl.apply_fill(
        pnl.PositionState(position.quantity, position.average_price),
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
        realized_pnl=realized,
        filled_at=fill.filled_at,
    )
    position.quantity, position.average_price = state.quantity, quantize_price(state.average_price)
    position.realized_pnl += realized
    position.mark_price = position.mark_price or fill.price
    position.unrealized_pnl = pnl.unrealized_pnl(state, position.mark_price)
    position.save()
    filled_before = order.filled_quantity
    order.filled_quantity = filled_before + fill.quantity
    order.average_fill_price = quantize_price(
        ((order.average_fill_price or 0) * filled_before + fill.price * fill.quantity)
        / order.filled_quantity
    )
    order.filled_at = fill.filled_at
    order.status = (
        OrderStatus.FILLED
        if order.filled_quantity >= order.quantity
        else OrderStatus.PARTIALLY_FILLED
    )
    order.save()
    metrics.FILLS.labels(broker_name).inc()
    metrics.ORDERS.labels(order.status).inc()
    return record


def orders_fill_pending(*, broker: Broker | None = None) -> int:
    """Collect fills of every working order from the broker; returns how many were new."""
    broker = broker or get_broker()
    working = order_list().filter(
        status__in=[OrderStatus.SUBMITTED, OrderStatus.PARTIALLY_FILLED], broker=broker.name
    )
    recorded = 0
    for order in working:
        for fill in broker.fills(_ticket(order), order.broker_order_id):
            if fill_record(order_id=order.pk, fill=fill, broker_name=broker.name):
                recorded += 1
    return recorded


def positions_mark(*, timeframe: str | None = None) -> int:
    """Mark every open position to its instrument's newest close."""
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


def _act_on_signal(
    strategy: Strategy, signal: Signal, broker: Broker, request_id: str
) -> Order | None:
    instrument = signal.instrument
    if has_open_order(strategy_id=strategy.pk, instrument_id=instrument.pk):
        return None
    intended = intended_order(
        rule=EntryRule(strategy.notional_per_trade, strategy.min_confidence),
        direction_up=signal.direction == Direction.UP,
        confidence=signal.confidence,
        position_quantity=position_quantity(strategy_id=strategy.pk, instrument_id=instrument.pk),
        price=signal.reference_price,
        lot_size=instrument.lot_size,
    )
    if intended is None:
        return None
    return order_submit(
        strategy=strategy,
        instrument=instrument,
        side=intended.side,
        quantity=intended.quantity,
        reference_price=signal.reference_price,
        bar_timestamp=signal.bar_timestamp,
        signal=signal,
        broker=broker,
        request_id=request_id,
    )


@dataclass
class CycleReport:
    fills: int = 0
    signals: int = 0
    orders: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "fills": self.fills,
            "signals": self.signals,
            "orders": self.orders,
            "skipped": self.skipped,
        }


def _strategy_cycle(
    strategy: Strategy, broker: Broker, report: CycleReport, request_id: str
) -> None:
    champion = model_version_champion(registered_model_id=strategy.registered_model_id)
    if champion is None:
        report.skipped[strategy.name] = "no_champion"
        metrics.STRATEGIES_SKIPPED.labels("no_champion").inc()
        return
    instruments = list(strategy.instruments.filter(active=True))
    try:
        signals = signals_generate(model_version=champion, instruments=instruments)
    except ArtifactIntegrityError as exc:
        logger.error("strategy_skipped", strategy=strategy.name, error=str(exc))
        report.skipped[strategy.name] = "artifact_integrity"
        metrics.STRATEGIES_SKIPPED.labels("artifact_integrity").inc()
        return
    report.signals += len(signals)
    # The shadow predicts on the same bars; its signals are recorded for scoring, never traded.
    shadow_signals_record(registered_model_id=strategy.registered_model_id, instruments=instruments)
    for signal in signals:
        order = _act_on_signal(strategy, signal, broker, request_id)
        if order is not None:
            status = str(order.status)
            report.orders[status] = report.orders.get(status, 0) + 1


def trading_cycle_run(*, request_id: str = "") -> CycleReport:
    """One pass of the loop after new bars: fills, marks, then signals → orders per strategy.

    1. Collect fills of working orders (placed last bar, filled at this bar's open).
    2. Mark open positions to the newest close.
    3. For each enabled strategy: its champion's signals on the newest bars, then an order
       intent per signal through the risk guard to the broker.
    Every step is idempotent, so a retried or doubled cycle changes nothing more.
    """
    broker = get_broker()
    report = CycleReport(fills=orders_fill_pending(broker=broker))
    positions_mark()
    for strategy in strategy_list():
        _strategy_cycle(strategy, broker, report, request_id)
    logger.info("trading_cycle_done", **report.as_dict())
    return report
