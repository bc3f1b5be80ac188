from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from common.models import BaseModel
from common.numeric import DecimalDigits
from execution.choices import (
    BreakKind,
    BreakStatus,
    OrderEventOutcome,
    OrderSide,
    OrderStatus,
    OrderType,
    UpdateSource,
)
from marketdata.models import Instrument
from models_registry.models import RegisteredModel, Signal
from risk.models import RiskDecision

MONEY: DecimalDigits = {"max_digits": 20, "decimal_places": 6}


class Strategy(BaseModel):
    """Turns a model's champion signals on its instruments into orders of a fixed notional."""

    name = models.SlugField(max_length=64, unique=True)
    registered_model = models.ForeignKey(
        RegisteredModel, on_delete=models.PROTECT, related_name="strategies"
    )
    instruments = models.ManyToManyField(Instrument, related_name="strategies")
    notional_per_trade = models.DecimalField(**MONEY)
    min_confidence = models.FloatField(default=0.5)
    enabled = models.BooleanField(default=True, db_index=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "strategies"
        constraints = [
            models.CheckConstraint(
                condition=Q(notional_per_trade__gt=0), name="strategy_notional_positive"
            ),
            models.CheckConstraint(
                condition=Q(min_confidence__gte=0.5, min_confidence__lte=1.0),
                name="strategy_min_confidence_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Order(BaseModel):
    """An order, keyed by a ``client_order_id`` derived from its cause.

    The id is (strategy, instrument, bar time, side), unique in the database, so a retried
    task or a re-run cycle finds the existing order instead of creating a second one.
    """

    client_order_id = models.CharField(max_length=128, unique=True)
    strategy = models.ForeignKey(Strategy, on_delete=models.PROTECT, related_name="orders")
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="orders")
    signal = models.ForeignKey(
        Signal, null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    risk_decision = models.OneToOneField(
        RiskDecision, null=True, blank=True, on_delete=models.PROTECT, related_name="order"
    )
    side = models.CharField(max_length=4, choices=OrderSide)
    order_type = models.CharField(max_length=8, choices=OrderType, default=OrderType.MARKET)
    time_in_force = models.CharField(max_length=8, default="day")
    limit_price = models.DecimalField(**MONEY, null=True, blank=True)
    quantity = models.DecimalField(**MONEY)
    reference_price = models.DecimalField(**MONEY)
    bar_timestamp = models.DateTimeField()
    status = models.CharField(
        max_length=16, choices=OrderStatus, default=OrderStatus.PENDING_NEW, db_index=True
    )
    broker = models.CharField(max_length=32, blank=True)
    broker_order_id = models.CharField(max_length=128, blank=True)
    reject_reason = models.TextField(blank=True)
    filled_quantity = models.DecimalField(**MONEY, default=0)
    average_fill_price = models.DecimalField(**MONEY, null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    filled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-bar_timestamp", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="order_quantity_positive"),
            models.CheckConstraint(
                condition=Q(filled_quantity__gte=0, filled_quantity__lte=models.F("quantity")),
                name="order_filled_within_quantity",
            ),
        ]

    def __str__(self) -> str:
        return self.client_order_id


class Fill(models.Model):
    """An execution reported by the broker; unique on its execution id so none counts twice."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="fills")
    broker_fill_id = models.CharField(max_length=128, unique=True)
    quantity = models.DecimalField(**MONEY)
    price = models.DecimalField(**MONEY)
    fee = models.DecimalField(**MONEY, default=0)
    realized_pnl = models.DecimalField(**MONEY, default=0)
    filled_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-filled_at"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="fill_quantity_positive"),
            models.CheckConstraint(condition=Q(price__gt=0), name="fill_price_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.broker_fill_id}: {self.quantity} @ {self.price}"


class Position(BaseModel):
    """A strategy's signed position in one instrument, at average cost, marked to market."""

    strategy = models.ForeignKey(Strategy, on_delete=models.PROTECT, related_name="positions")
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="positions")
    quantity = models.DecimalField(**MONEY, default=0)
    average_price = models.DecimalField(**MONEY, default=0)
    realized_pnl = models.DecimalField(**MONEY, default=0)
    mark_price = models.DecimalField(**MONEY, null=True, blank=True)
    unrealized_pnl = models.DecimalField(**MONEY, default=0)
    marked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["strategy", "instrument"]
        constraints = [
            models.UniqueConstraint(fields=["strategy", "instrument"], name="position_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.strategy_id}/{self.instrument_id}: {self.quantity}"


class OrderEvent(models.Model):
    """One update applied to (or refused by) an order: the order's life, step by step.

    Unique on (order, event_id): a replayed stream message, a repeated poll or a retried task
    finds its event and adds nothing. Never edited.
    """

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="events")
    event = models.CharField(max_length=32)
    event_id = models.CharField(max_length=200)
    source = models.CharField(max_length=16, choices=UpdateSource)
    from_status = models.CharField(max_length=16, choices=OrderStatus)
    to_status = models.CharField(max_length=16, choices=OrderStatus)
    outcome = models.CharField(max_length=8, choices=OrderEventOutcome)
    anomaly = models.CharField(max_length=64, blank=True)
    at = models.DateTimeField(help_text="When the event happened, by the broker's clock.")
    recorded_at = models.DateTimeField(db_index=True)
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["recorded_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "event_id"], name="order_event_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.from_status} -> {self.to_status} ({self.event})"


class PositionLot(models.Model):
    """An open lot of a position (what one fill opened and is not closed yet), for FIFO PnL.

    Signed like the position; closing fills consume the oldest lots first.
    """

    position = models.ForeignKey("Position", on_delete=models.CASCADE, related_name="lots")
    fill = models.ForeignKey(Fill, on_delete=models.PROTECT, related_name="lots")
    quantity = models.DecimalField(**MONEY)
    price = models.DecimalField(**MONEY)
    opened_at = models.DateTimeField()

    class Meta:
        ordering = ["opened_at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(quantity=0), name="position_lot_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} @ {self.price}"


class ReconciliationRun(models.Model):
    """One comparison of our open orders, positions and cash with the broker's."""

    broker = models.CharField(max_length=32)
    started_at = models.DateTimeField(db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    succeeded = models.BooleanField(null=True, help_text="Empty while running.")
    orders_checked = models.PositiveIntegerField(default=0)
    positions_checked = models.PositiveIntegerField(default=0)
    orders_healed = models.PositiveIntegerField(
        default=0, help_text="Orders brought to the broker's state by a missed update."
    )
    breaks_found = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.broker} reconciliation at {self.started_at:%Y-%m-%d %H:%M:%S}"


class ReconciliationBreak(models.Model):
    """A difference between our books and the broker's, kept until an operator resolves it.

    Immutable except the resolution fields. ``fingerprint`` names the discrepancy (kind and
    what it is about), unique among open breaks, so a repeated run finds the open break
    instead of adding a second one.
    """

    RESOLUTION_FIELDS = frozenset(
        {"status", "resolved_by", "resolved_by_name", "resolved_at", "resolution_reason",
         "resolution_request_id"}
    )  # fmt: skip

    run = models.ForeignKey(ReconciliationRun, on_delete=models.PROTECT, related_name="breaks")
    kind = models.CharField(max_length=24, choices=BreakKind, db_index=True)
    status = models.CharField(
        max_length=8, choices=BreakStatus, default=BreakStatus.OPEN, db_index=True
    )
    fingerprint = models.CharField(max_length=255)
    symbol = models.CharField(max_length=32, blank=True)
    strategy = models.ForeignKey(
        Strategy, null=True, blank=True, on_delete=models.PROTECT, related_name="breaks"
    )
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.PROTECT, related_name="breaks"
    )
    client_order_id = models.CharField(max_length=128, blank=True)
    broker_order_id = models.CharField(max_length=128, blank=True)
    expected = models.DecimalField(**MONEY, null=True, blank=True, help_text="Our books.")
    actual = models.DecimalField(**MONEY, null=True, blank=True, help_text="The broker's.")
    detail = models.TextField(blank=True)
    detected_at = models.DateTimeField(db_index=True)
    request_id = models.CharField(max_length=64, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_by_name = models.CharField(max_length=150, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_reason = models.TextField(blank=True)
    resolution_request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-detected_at", "-id"]
        permissions = [("resolve_reconciliationbreak", "Can resolve a reconciliation break")]
        constraints = [
            models.UniqueConstraint(
                fields=["fingerprint"],
                condition=Q(status="open"),
                name="reconciliation_break_open_unique",
            ),
            models.CheckConstraint(
                condition=Q(status="open") | ~Q(resolution_reason=""),
                name="reconciliation_break_resolved_with_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.fingerprint}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        update_fields = kwargs.get("update_fields")
        if not self._state.adding and (
            update_fields is None or not set(update_fields) <= self.RESOLUTION_FIELDS
        ):
            raise ValueError("A reconciliation break is immutable except its resolution fields")
        super().save(*args, **kwargs)
