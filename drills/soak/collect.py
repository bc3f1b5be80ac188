"""Inside the soak's own database: what the loop did over the soak window, and per session.

Runs as ``manage.py soak_stack collect`` in the stack's environment; reads only, except the
ledger check, which records its run and any break as the periodic one does. Definitions:

- a *cycle* is the loop acting on one bar time: ``cycles_run`` counts bar times in the window
  with a champion signal, ``cycles_expected`` the bar times the exchange calendar expects;
- ``missed_bars``: (instrument, bar time) pairs the calendar expects but the store lacks;
- ``duplicate_orders``: orders beyond the first for one (strategy, instrument, bar, side), and
  fills beyond an order's quantity (a doubled fill);
- ``lost_orders``: orders still open (never acknowledged, or working with no fill recorded)
  although two bars after their decision bar are stored: the broker fills a market order at
  the next bar's open, so by then it must be final (one bar of slack);
- PnL is recomputed by replaying every fill through ``execution.pnl`` and compared with the
  stored positions and fills, to the cent.
- ``ledger_breaks``: the books' invariants over the whole book (``execution.ledger``: filled
  quantity = its fills, status, position = signed fills, cash), through the ledger check.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, F, Max, Sum
from django_celery_results.models import TaskResult

from common import clock
from execution import pnl
from execution.choices import OPEN_STATUSES
from execution.models import Fill, Order, Position
from execution.selectors import reconciliation_breaks_open_by_kind
from execution.services import ledger_check
from marketdata.calendars import expected_bar_starts
from marketdata.models import Bar, Instrument
from marketdata.timeframes import timeframe_delta
from models_registry.models import Signal

CENT = Decimal("0.01")


def soak_figures(*, start: datetime, end: datetime) -> dict:
    """The loop's figures for bars in ``[start, end)``."""
    timeframe = settings.MARKETDATA_TIMEFRAME
    calendar = settings.MARKETDATA_EQUITY_CALENDAR
    expected_times = expected_bar_starts(calendar, timeframe, start, end)
    instruments = list(Instrument.objects.filter(active=True))
    bars = Bar.objects.filter(timeframe=timeframe, timestamp__gte=start, timestamp__lt=end)
    stored = set(bars.values_list("instrument_id", "timestamp"))
    expected = {(row.pk, moment) for row in instruments for moment in expected_times}
    signals = Signal.objects.filter(
        shadow=False, timeframe=timeframe, bar_timestamp__gte=start, bar_timestamp__lt=end
    )
    orders = Order.objects.filter(bar_timestamp__gte=start, bar_timestamp__lt=end)
    fills = Fill.objects.filter(order__in=orders)
    by_status = dict(
        orders.values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    return {
        "cycles_expected": len(expected_times),
        "cycles_run": signals.values("bar_timestamp").distinct().count(),
        "bars_expected": len(expected),
        "bars_stored": len(stored & expected),
        "missed_bars": len(expected - stored),
        "missed_cycles": len(expected_times) - signals.values("bar_timestamp").distinct().count(),
        "signals": signals.count(),
        "orders": sum(by_status.values()),
        "orders_by_status": by_status,
        "fills": fills.count(),
        "realized_pnl": str(
            (fills.aggregate(total=Sum("realized_pnl"))["total"] or Decimal(0)).quantize(CENT)
        ),
        "duplicate_orders": duplicate_orders(orders),
        "lost_orders": len(lost_orders(orders, timeframe)),
    }


def duplicate_orders(orders) -> int:
    """Orders beyond the first per cause, plus fills beyond their order's quantity."""
    doubled = (
        orders.values("strategy_id", "instrument_id", "bar_timestamp", "side")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    extra_orders = sum(row["n"] - 1 for row in doubled)
    overfilled = orders.annotate(filled=Sum("fills__quantity")).filter(filled__gt=F("quantity"))
    return extra_orders + overfilled.count()


def lost_orders(orders, timeframe: str) -> list[str]:
    """Client order ids of orders that should have reached the broker or a fill but did not."""
    step = timeframe_delta(timeframe)
    newest = {
        row["instrument_id"]: row["newest"]
        for row in Bar.objects.filter(timeframe=timeframe)
        .values("instrument_id")
        .annotate(newest=Max("timestamp"))
    }
    lost = []
    for order in orders.filter(status__in=OPEN_STATUSES):
        newest_bar = newest.get(order.instrument_id)
        if newest_bar is not None and newest_bar >= order.bar_timestamp + 2 * step:
            lost.append(order.client_order_id)
    return lost


def pnl_check() -> dict:
    """Replay every fill through the PnL arithmetic and compare with what is stored."""
    replayed: dict[tuple[int, int], tuple[pnl.PositionState, Decimal]] = defaultdict(
        lambda: (pnl.PositionState(Decimal(0), Decimal(0)), Decimal(0))
    )
    fills_realized = Decimal(0)
    for fill in Fill.objects.select_related("order").order_by("filled_at", "id"):
        key = (fill.order.strategy_id, fill.order.instrument_id)
        state, realized = replayed[key]
        state, gained = pnl.apply_fill(
            state, side=fill.order.side, quantity=fill.quantity, price=fill.price, fee=fill.fee
        )
        replayed[key] = (state, realized + gained)
        fills_realized += fill.realized_pnl
    recomputed = sum((realized for _, realized in replayed.values()), Decimal(0))
    stored = Position.objects.aggregate(total=Sum("realized_pnl"))["total"] or Decimal(0)
    quantity_mismatches = [
        f"{position.strategy_id}/{position.instrument_id}"
        for position in Position.objects.all()
        if replayed[(position.strategy_id, position.instrument_id)][0].quantity != position.quantity
    ]
    difference = max(abs(recomputed - stored), abs(fills_realized - stored))
    return {
        "realized_pnl_recomputed": str(recomputed.quantize(CENT)),
        "realized_pnl_stored": str(stored.quantize(CENT)),
        "realized_pnl_of_fills": str(fills_realized.quantize(CENT)),
        "pnl_difference": str(difference.quantize(CENT)),
        "position_quantity_mismatches": quantity_mismatches,
        "pnl_matches": difference < CENT and not quantity_mismatches,
    }


def reconciliation_breaks_open() -> dict:
    """Open reconciliation breaks between our books and the broker's, by kind."""
    open_by_kind = reconciliation_breaks_open_by_kind()
    return {
        "reconciliation_breaks_open": sum(open_by_kind.values()),
        "reconciliation_breaks_open_by_kind": open_by_kind,
    }


def ledger_invariants() -> dict:
    """The ledger check over the whole book: the number of breaks (must be 0) and each one."""
    report = ledger_check().as_dict()
    return {"ledger_breaks": report["ledger_breaks"], "ledger_breaks_detail": report["breaks"]}


def latencies(*, start: datetime, end: datetime) -> dict:
    """The slowest trading cycle (task run time) and the slowest bar → signal, in wall
    seconds (the session clock maps market moments back to wall time)."""
    to_wall = getattr(clock.get_clock(), "wall_time_of", None)
    step = timeframe_delta(settings.MARKETDATA_TIMEFRAME)

    def wall(moment: datetime) -> datetime:
        return datetime.fromtimestamp(to_wall(moment), tz=UTC) if to_wall else moment

    # Runs started in the window (task results are stamped in wall time), plus a bar and a
    # minute for the cycle that acts on the window's last bar.
    cycles = TaskResult.objects.filter(
        task_name="execution.predict_and_trade",
        status="SUCCESS",
        date_created__gte=wall(start),
        date_created__lt=wall(end + step) + timedelta(minutes=1),
    )
    slowest = max(
        (
            (done - created).total_seconds()
            for created, done in cycles.values_list("date_created", "date_done")
        ),
        default=0.0,
    )
    bar_to_signal = 0.0
    signals = Signal.objects.filter(shadow=False, bar_timestamp__gte=start, bar_timestamp__lt=end)
    for bar_time, created in signals.values_list("bar_timestamp", "created_at"):
        if to_wall is not None:
            lag = to_wall(created) - to_wall(bar_time + step)
        else:
            lag = (created - bar_time - step).total_seconds()
        bar_to_signal = max(bar_to_signal, lag)
    return {
        "max_cycle_latency_s": round(slowest, 3),
        "max_bar_to_signal_latency_s": round(bar_to_signal, 3),
        "cycle_task_runs": cycles.count(),
    }


def soak_collect(*, start: datetime, end: datetime, sessions: list[tuple[str, datetime, datetime]]):
    """The whole report's database part, with a figure set per session."""
    return {
        **soak_figures(start=start, end=end),
        **pnl_check(),
        **reconciliation_breaks_open(),
        **ledger_invariants(),
        **latencies(start=start, end=end),
        "sessions": {
            label: soak_figures(start=opened, end=closed) for label, opened, closed in sessions
        },
    }
