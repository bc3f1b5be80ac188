from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from common.money import apply_bps
from execution.brokers.contract import BrokerFill, BrokerOrder, OrderUpdate
from execution.models import Fill, Order, Position
from execution.services import (
    client_order_id_for,
    order_submit,
    order_update_apply,
    order_updates_poll,
    trading_cycle_run,
)
from marketdata.models import Bar
from models_registry.models import ModelAlias, Signal
from risk.models import RiskDecision
from risk.services import kill_switch_engage

pytestmark = pytest.mark.django_db


def _submit(strategy, instrument, side="buy", quantity="10", bar_timestamp=None):
    bar = Bar.objects.filter(instrument=instrument).order_by("-timestamp").first()
    return order_submit(
        strategy=strategy,
        instrument=instrument,
        side=side,
        quantity=Decimal(quantity),
        reference_price=bar.close,
        bar_timestamp=bar_timestamp or bar.timestamp,
    )


def test_the_cycle_orders_on_confident_up_signals_when_flat(strategy):
    report = trading_cycle_run()

    up = Signal.objects.filter(direction="up")
    assert report.signals == 3
    assert up.exists(), "fixture data must give at least one up-call"
    orders = Order.objects.all()
    assert sorted(o.instrument.symbol for o in orders) == sorted(s.instrument.symbol for s in up)
    for order in orders:
        assert order.status == "new"
        assert order.side == "buy"
        assert order.quantity * order.reference_price <= strategy.notional_per_trade
        assert order.risk_decision.approved
        assert order.client_order_id == client_order_id_for(
            strategy=strategy.name,
            symbol=order.instrument.symbol,
            bar_timestamp=order.bar_timestamp,
            side="buy",
        )


def test_orders_fill_at_the_next_bar_open_plus_slippage_and_build_positions(
    strategy, next_bar, settings
):
    trading_cycle_run()
    submitted = list(Order.objects.all())
    next_bar()

    report = trading_cycle_run()

    assert report.fills == len(submitted)
    for order in submitted:
        order.refresh_from_db()
        fill_bar = Bar.objects.get(
            instrument=order.instrument, timestamp=order.bar_timestamp + timedelta(minutes=1)
        )
        expected = apply_bps(fill_bar.open, settings.PAPER_BROKER_SLIPPAGE_BPS)
        assert order.status == "filled"
        assert order.filled_quantity == order.quantity
        assert order.average_fill_price == expected.quantize(Decimal("0.000001"))
        position = Position.objects.get(strategy=strategy, instrument=order.instrument)
        assert position.quantity == order.quantity
        assert position.mark_price == fill_bar.close
        assert position.unrealized_pnl == order.quantity * (fill_bar.close - position.average_price)


def test_rerunning_the_cycle_for_the_same_bar_creates_no_second_order(strategy):
    trading_cycle_run()
    orders = Order.objects.count()
    decisions = RiskDecision.objects.count()

    trading_cycle_run()
    trading_cycle_run()

    assert Order.objects.count() == orders
    assert RiskDecision.objects.count() == decisions
    assert Signal.objects.count() == 3


def test_submitting_the_same_cause_twice_returns_the_first_order(strategy, instruments):
    first = _submit(strategy, instruments[0])
    again = _submit(strategy, instruments[0], quantity="99")

    assert again.pk == first.pk
    assert again.quantity == Decimal("10")
    assert Order.objects.count() == 1
    assert RiskDecision.objects.count() == 1


def test_with_the_kill_switch_engaged_the_next_cycle_submits_nothing_and_records_rejections(
    strategy, operator
):
    kill_switch_engage(actor=operator, reason="test halt")

    trading_cycle_run()

    up_calls = Signal.objects.filter(direction="up").count()
    assert up_calls > 0
    assert not Order.objects.exclude(status="rejected").exists()
    assert Order.objects.filter(status="rejected").count() == up_calls
    for decision in RiskDecision.objects.all():
        assert not decision.approved
        assert "kill_switch_engaged" in [r["code"] for r in decision.reasons]


def test_a_fill_reported_twice_is_applied_once(strategy, instruments, next_bar):
    order = _submit(strategy, instruments[0])
    next_bar()

    assert order_updates_poll().fills == 1
    assert order_updates_poll().fills == 0

    fill = Fill.objects.get()
    replay = BrokerFill(
        broker_fill_id=fill.broker_fill_id,
        quantity=fill.quantity,
        price=fill.price,
        fee=fill.fee,
        filled_at=fill.filled_at,
        client_order_id=order.client_order_id,
    )
    remote = BrokerOrder(
        broker_order_id=order.broker_order_id, client_order_id=order.client_order_id,
        symbol="X", side="buy", quantity=order.quantity, filled_quantity=order.quantity,
        average_fill_price=fill.price, status="filled",
    )  # fmt: skip
    update = OrderUpdate(
        event="fill", order=remote, at=fill.filled_at, source="stream", event_id="other-event",
        fill=replay,
    )  # fmt: skip
    assert order_update_apply(update=update) is False
    assert Position.objects.get().quantity == Decimal("10")


def test_selling_the_position_realises_pnl_from_the_fills(strategy, instruments, next_bar):
    instrument = instruments[0]
    _submit(strategy, instrument, side="buy", quantity="10")
    next_bar()
    order_updates_poll()
    _submit(strategy, instrument, side="sell", quantity="10")
    next_bar()
    order_updates_poll()

    buy, sell = (Fill.objects.get(order__side=side) for side in ("buy", "sell"))
    position = Position.objects.get()
    assert position.quantity == 0
    assert position.realized_pnl == 10 * (sell.price - buy.price)
    assert position.unrealized_pnl == 0
    assert sell.realized_pnl == position.realized_pnl


def test_a_strategy_whose_model_has_no_champion_is_skipped(strategy):
    ModelAlias.objects.filter(registered_model=strategy.registered_model).delete()

    report = trading_cycle_run()

    assert report.skipped == {strategy.name: "no_champion"}
    assert not Order.objects.exists()


def test_a_tampered_artifact_skips_the_strategy_without_breaking_the_cycle(
    strategy, champion, artifact_dir
):
    path = Path(artifact_dir) / champion.artifact_path
    path.write_bytes(b"not the registered model")

    report = trading_cycle_run()

    assert report.skipped == {strategy.name: "artifact_integrity"}
    assert not Signal.objects.exists()
    assert not Order.objects.exists()


def test_an_instrument_whose_newest_bar_is_quarantined_cannot_be_traded(strategy, instruments):
    instrument = instruments[0]
    newest = Bar.objects.filter(instrument=instrument).order_by("-timestamp").first()
    Bar.objects.filter(pk=newest.pk).update(status="quarantined", quality_reasons=["jump"])

    order = _submit(strategy, instrument)

    assert order.status == "rejected"
    assert "price_quarantined" in [r["code"] for r in order.risk_decision.reasons]


def test_a_stale_instrument_cannot_be_traded(strategy, instruments, frozen_clock):
    frozen_clock.advance(timedelta(hours=1))  # market open, no new bars for an hour

    order = _submit(strategy, instruments[0])

    assert order.status == "rejected"
    assert "price_stale" in [r["code"] for r in order.risk_decision.reasons]
