from __future__ import annotations

from django.db import models
from django.db.models import Q

from common.models import BaseModel
from execution.choices import OrderSide, OrderStatus, OrderType
from marketdata.models import Instrument
from models_registry.models import RegisteredModel, Signal
from risk.models import RiskDecision

MONEY = {"max_digits": 20, "decimal_places": 6}


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
    quantity = models.DecimalField(**MONEY)
    reference_price = models.DecimalField(**MONEY)
    bar_timestamp = models.DateTimeField()
    status = models.CharField(
        max_length=16, choices=OrderStatus, default=OrderStatus.NEW, db_index=True
    )
    broker = models.CharField(max_length=32, blank=True)
    broker_order_id = models.CharField(max_length=128, blank=True)
    reject_reason = models.TextField(blank=True)
    filled_quantity = models.DecimalField(**MONEY, default=0)
    average_fill_price = models.DecimalField(**MONEY, null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
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
