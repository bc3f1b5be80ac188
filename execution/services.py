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
from execution.choices import OPEN_STATUSES, OrderStatus
from execution.models import Fill, Order, Position, Strategy
from execution.selectors import (
    book_exposure,
    daily_pnl,
    has_open_order,
    instrument_position_quantity,
    order_list,
    orders_open,
    pnl_totals,
    position_quantity,
    strategy_closed_trades,
    strategy_list,
)
from execution.strategy import EntryRule, intended_order
from marketdata.models import Instrument
from marketdata.selectors import bar_latest, bar_next, reference_price_get
from marketdata.timeframes import timeframe_delta
from models_registry.choices import Direction
from models_registry.models import Signal
from models_registry.selectors import model_version_champion
from risk import guard
from risk.services import order_intent_evaluate, portfolio_observe, strategy_trades_observe

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


def _book_snapshot(position: Decimal, instrument_position: Decimal | None) -> dict:
    """The book-level fields of a portfolio snapshot: day PnL, exposure, equity, buying power.

    Equity is the paper account's capital plus all realized and unrealized PnL; buying power
    is what equity leaves after paying for the gross exposure (a cash account, no margin).
    """
    day_start = clock.start_of_day(clock.now(), settings.RISK_TRADING_DAY_TIMEZONE)
    exposure, totals = book_exposure(), pnl_totals()
    equity = settings.PAPER_ACCOUNT_CAPITAL + totals["realized"] + totals["unrealized"]
    return {
        "position_quantity": position,
        "daily_pnl": daily_pnl(since=day_start),
        "instrument_position_quantity": instrument_position,
        "gross_exposure": exposure["gross"],
        "net_exposure": exposure["net"],
        "equity": equity,
        "buying_power": equity - exposure["gross"],
    }


def _model_is_champion(strategy: Strategy, signal: Signal | None, manual: bool) -> bool | None:
    """Is the order's model the approved champion? None for a manual order (no model)."""
    if manual:
        return None
    if signal is not None:
        return signal.model_version.is_champion
    # An order placed for the strategy without a signal trades on its model's champion.
    return model_version_champion(registered_model_id=strategy.registered_model_id) is not None


def _portfolio_snapshot(
    strategy: Strategy, instrument: Instrument, signal: Signal | None, manual: bool = False
) -> guard.PortfolioSnapshot:
    return guard.PortfolioSnapshot(
        **_book_snapshot(
            position_quantity(strategy_id=strategy.pk, instrument_id=instrument.pk),
            instrument_position_quantity(instrument_id=instrument.pk),
        ),
        strategy_enabled=strategy.enabled,
        model_is_champion=_model_is_champion(strategy, signal, manual),
    )


def _market_snapshot(instrument: Instrument) -> guard.MarketSnapshot:
    """The last trusted price (newest trusted bar's close, aged from the bar's end) with market
    data's stale and quarantined flags, which the guard rejects on."""
    timeframe = settings.MARKETDATA_TIMEFRAME
    bar = bar_latest(instrument_id=instrument.pk, timeframe=timeframe)
    if bar is None:
        return guard.MarketSnapshot(last_trusted_price=None, price_age_s=None, stale=True)
    bar_end = bar.timestamp + timeframe_delta(timeframe)
    age = max((clock.now() - bar_end).total_seconds(), 0.0)
    reference = reference_price_get(symbol=instrument.symbol, timeframe=timeframe)
    return guard.MarketSnapshot(
        last_trusted_price=bar.close,
        price_age_s=Decimal(str(round(age, 3))),
        stale=reference.stale,
        quarantined=reference.quarantined,
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
    manual: bool = False,
    confirmed: bool = False,
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
            manual=manual,
            confirmed=confirmed,
        )
        decision = order_intent_evaluate(
            intent=intent,
            portfolio=_portfolio_snapshot(strategy, instrument, signal, manual),
            market=_market_snapshot(instrument),
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


def orders_cancel_open(*, reason: str, broker: Broker | None = None) -> int:
    """Cancel every open order at the broker and mark it cancelled; returns how many.

    Registered with risk as the kill switch handler (``ExecutionConfig.ready``): risk cannot
    import execution, so it calls this through ``risk.hooks`` right after the halt commits.
    Orders the broker confirms are marked in one conditional update (still open), so two
    engages at once cancel each order once and a fill recorded meanwhile is not overwritten.
    """
    broker = broker or get_broker()
    confirmed = []
    for order in orders_open():
        if order.broker_order_id and not broker.cancel(_ticket(order), order.broker_order_id):
            logger.error("cancel_refused_by_broker", client_order_id=order.client_order_id)
            continue
        confirmed.append(order.pk)
    cancelled = Order.objects.filter(pk__in=confirmed, status__in=OPEN_STATUSES).update(
        status=OrderStatus.CANCELED,
        reject_reason=f"cancelled by the kill switch: {reason}"[:2000],
        updated_at=clock.now(),
    )
    metrics.ORDERS.labels(OrderStatus.CANCELED).inc(cancelled)
    logger.warning("open_orders_cancelled", count=cancelled, reason=reason)
    return cancelled


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
    # Imported here, not at the top: the kill switch handler imports this module in the web
    # process, and the model stack (pandas, scikit-learn) would add seconds to the first
    # emergency stop. Only a trading cycle needs it.
    from models_registry.services import shadow_signals_record, signals_generate

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


def _risk_observe() -> None:
    """Show risk the marked book and each strategy's closed trades, so the daily loss,
    drawdown and losing-streak trips fire even when no order is being placed."""
    portfolio_observe(portfolio=guard.PortfolioSnapshot(**_book_snapshot(Decimal(0), None)))
    for strategy in strategy_list():
        strategy_trades_observe(
            strategy=strategy.name,
            closed_trades=strategy_closed_trades(strategy_id=strategy.pk),
        )


def trading_cycle_run(*, request_id: str = "") -> CycleReport:
    """One pass of the loop after new bars: fills, marks, then signals → orders per strategy.

    1. Collect fills of working orders (placed last bar, filled at this bar's open).
    2. Mark open positions to the newest close, and let risk check the book for trips.
    3. For each enabled strategy: its champion's signals on the newest bars, then an order
       intent per signal through the risk guard to the broker.
    Every step is idempotent, so a retried or doubled cycle changes nothing more.
    """
    broker = get_broker()
    report = CycleReport(fills=orders_fill_pending(broker=broker))
    positions_mark()
    _risk_observe()
    for strategy in strategy_list():
        _strategy_cycle(strategy, broker, report, request_id)
    logger.info("trading_cycle_done", **report.as_dict())
    return report
