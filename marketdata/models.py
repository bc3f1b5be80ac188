from __future__ import annotations

import zoneinfo

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from common.models import ActionRecord, BaseModel
from common.numeric import DecimalDigits
from marketdata.choices import (
    AssetClass,
    BarReviewAction,
    BarStatus,
    ProviderEventKind,
    Timeframe,
)

PRICE: DecimalDigits = {"max_digits": 20, "decimal_places": 6}


class Instrument(BaseModel):
    """A tradable symbol. Prices of its bars are in the instrument's quote currency."""

    symbol = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=128, blank=True)
    asset_class = models.CharField(max_length=16, choices=AssetClass, default=AssetClass.EQUITY)
    exchange = models.CharField(max_length=32, blank=True)
    exchange_timezone = models.CharField(max_length=64, default="America/New_York")
    lot_size = models.DecimalField(max_digits=20, decimal_places=6, default=1)
    active = models.BooleanField(default=True, db_index=True)
    providers = models.JSONField(
        default=list,
        blank=True,
        help_text="Ordered provider names (first is primary); empty uses MARKETDATA_PROVIDERS.",
    )
    calendar = models.CharField(
        max_length=16,
        blank=True,
        help_text="Exchange calendar (XNYS, XLON, ...); empty: MARKETDATA_EQUITY_CALENDAR for "
        "equities, open 24/7 for crypto.",
    )

    class Meta:
        ordering = ["symbol"]
        constraints = [
            models.CheckConstraint(
                condition=Q(lot_size__gt=0), name="instrument_lot_size_positive"
            ),
            models.CheckConstraint(condition=~Q(symbol=""), name="instrument_symbol_not_empty"),
        ]

    def __str__(self) -> str:
        return self.symbol

    def clean(self) -> None:
        try:
            zoneinfo.ZoneInfo(self.exchange_timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ValidationError(
                {"exchange_timezone": f"Unknown time zone {self.exchange_timezone!r}"}
            ) from exc


class Bar(models.Model):
    """One OHLCV bar, stamped with the start of its interval (UTC).

    Unique on (instrument, timeframe, timestamp): ingestion upserts on that key, so a re-run
    over the same period stores nothing twice.
    """

    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="bars")
    timeframe = models.CharField(max_length=4, choices=Timeframe, default=Timeframe.MINUTE_1)
    timestamp = models.DateTimeField()
    open = models.DecimalField(**PRICE)
    high = models.DecimalField(**PRICE)
    low = models.DecimalField(**PRICE)
    close = models.DecimalField(**PRICE)
    volume = models.DecimalField(max_digits=24, decimal_places=4)
    source = models.CharField(max_length=32)
    ingested_at = models.DateTimeField()
    status = models.CharField(max_length=12, choices=BarStatus, default=BarStatus.OK, db_index=True)
    quality_reasons = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["instrument", "timeframe", "timestamp"]
        constraints = [
            models.UniqueConstraint(
                fields=["instrument", "timeframe", "timestamp"], name="bar_unique_per_interval"
            ),
            models.CheckConstraint(condition=Q(low__gt=0), name="bar_low_positive"),
            models.CheckConstraint(condition=Q(high__gte=F("low")), name="bar_high_not_below_low"),
            models.CheckConstraint(condition=Q(volume__gte=0), name="bar_volume_not_negative"),
        ]
        indexes = [models.Index(fields=["instrument", "timeframe", "-timestamp"])]
        permissions = [("review_bar", "Can release or discard quarantined bars")]

    def __str__(self) -> str:
        return f"{self.instrument_id} {self.timeframe} {self.timestamp:%Y-%m-%d %H:%M}"


class BarReview(ActionRecord):
    """Immutable record of a quarantined bar leaving quarantine: who, why, from which request.

    Automatic confirmations (the series stayed at the new level, or the second provider
    agreed) have no actor; operator releases and discards always do.
    """

    bar = models.ForeignKey(Bar, on_delete=models.PROTECT, related_name="reviews")
    action = models.CharField(max_length=8, choices=BarReviewAction)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="bar_review_has_reason")
        ]

    def __str__(self) -> str:
        return f"{self.action} of {self.bar} by {self.actor_name}"


class ProviderEvent(models.Model):
    """A provider state change: breaker opened/closed, failover, failback, backfill.

    ``duration_s`` is how long the previous state lasted (an outage, for a breaker closing or a
    failback) or how long the action took (a backfill).
    """

    provider = models.CharField(max_length=32, db_index=True)
    kind = models.CharField(max_length=20, choices=ProviderEventKind)
    symbol = models.CharField(max_length=32, blank=True)
    reason = models.TextField()
    duration_s = models.FloatField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.provider} {self.kind} at {self.created_at:%Y-%m-%d %H:%M:%S}"
