"""The trading cycle and order submission through the risk guard."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

import structlog
from django.conf import settings
from django.db import transaction

from common import clock
from common.exceptions import ArtifactIntegrityError
from execution import metrics
from execution.brokers.contract import Broker, BrokerError
from execution.choices import OrderStatus
from execution.models import Order, Strategy
from execution.selectors import (
    book_exposure,
    daily_pnl,
    has_open_order,
    instrument_position_quantity,
    pnl_totals,
    position_quantity,
    strategy_closed_trades,
    strategy_list,
)
from execution.services.books import positions_mark
from execution.services.broker import get_broker
from execution.services.orders import order_send, order_updates_poll
from execution.strategy import EntryRule, intended_order
from marketdata.models import Instrument
from marketdata.selectors import bar_latest, reference_price_get
from marketdata.timeframes import timeframe_delta
from models_registry.choices import Direction
from models_registry.models import Signal
from models_registry.selectors import model_version_champion
from risk import guard
from risk.selectors import strategy_cooldown_until
from risk.services import order_intent_evaluate, portfolio_observe, strategy_trades_observe

logger = structlog.get_logger(__name__)


def client_order_id_for(*, strategy: str, symbol: str, bar_timestamp: datetime, side: str) -> str:
    """The order's identity, derived from its cause: the same cause always gives the same id."""
    return f"{strategy}-{symbol}-{bar_timestamp.astimezone(UTC):%Y%m%dT%H%M%SZ}-{side}"


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

    Idempotent and crash-safe (see ``execution.services.orders``): the order row and its risk
    decision commit before the broker is called; a second call for the same cause finds the
    row and, if it is still ``pending_new``, looks it up at the broker before sending
    anything, so it is never sent twice.
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
        if created:
            _order_decide(order, strategy, instrument, signal, manual, confirmed, request_id)
            order.broker = broker.name if order.status == OrderStatus.PENDING_NEW else ""
            order.save()
    if created:
        metrics.ORDERS.labels(order.status).inc()
    if order.status == OrderStatus.PENDING_NEW:
        # Committed above; a retried call may follow a send that reached the broker.
        order_send(order=order, broker=broker, look_up_first=not created)
        order.refresh_from_db()
    return order


def _order_decide(
    order: Order,
    strategy: Strategy,
    instrument: Instrument,
    signal: Signal | None,
    manual: bool,
    confirmed: bool,
    request_id: str,
) -> None:
    """The risk guard's decision on a new order: ``pending_new`` to send, or ``rejected``."""
    intent = guard.OrderIntent(
        client_order_id=order.client_order_id,
        strategy=strategy.name,
        symbol=instrument.symbol,
        side=order.side,
        quantity=order.quantity,
        reference_price=order.reference_price,
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
        order.status, order.submitted_at = OrderStatus.PENDING_NEW, clock.now()
    else:
        order.status = OrderStatus.REJECTED
        order.reject_reason = "; ".join(reason["message"] for reason in decision.reasons)


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
    # Imported here, not at the top: every process imports this module at start (execution's
    # ready() registers the kill switch handler), and only a trading cycle needs the model
    # stack (pandas, scikit-learn), which takes seconds to load.
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
    cooldown_until = strategy_cooldown_until(strategy=strategy.name, now=clock.now())
    if cooldown_until is not None:
        # A losing streak halts the strategy until then, so the guard could only refuse what it
        # would order: a rejected decision per signal per cycle told operators nothing new and
        # buried real rejections. Its champion's signals above are still recorded and scored.
        report.skipped[strategy.name] = "loss_cooldown"
        metrics.STRATEGIES_SKIPPED.labels("loss_cooldown").inc()
        logger.info(
            "strategy_skipped", strategy=strategy.name, reason="loss_cooldown",
            cooldown_until=cooldown_until.isoformat(),
        )  # fmt: skip
        return
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

    1. Poll the broker for order updates and fills (paper orders placed last bar fill at
       this bar's open).
    2. Mark open positions to the newest close, and let risk check the book for trips.
    3. For each enabled strategy: its champion's signals on the newest bars, then an order
       intent per signal through the risk guard to the broker.
    Every step is idempotent, so a retried or doubled cycle changes nothing more.
    """
    broker = get_broker()
    report = CycleReport()
    try:
        report.fills = order_updates_poll(broker=broker).fills
    except BrokerError as exc:
        # The broker is unreachable: marks, risk checks and decisions still run; orders sent
        # meanwhile wait in pending_new and the next poll resolves them.
        logger.error("order_poll_failed", error=str(exc))
    positions_mark()
    _risk_observe()
    for strategy in strategy_list():
        _strategy_cycle(strategy, broker, report, request_id)
    logger.info("trading_cycle_done", **report.as_dict())
    return report
