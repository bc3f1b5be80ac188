from __future__ import annotations

import zoneinfo

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from common.models import BaseModel
from marketdata.choices import AssetClass, Timeframe

PRICE = {"max_digits": 20, "decimal_places": 6}


class Instrument(BaseModel):
    """A tradable symbol. Prices of its bars are in the instrument's quote currency."""

    symbol = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=128, blank=True)
    asset_class = models.CharField(max_length=16, choices=AssetClass, default=AssetClass.EQUITY)
    exchange = models.CharField(max_length=32, blank=True)
    exchange_timezone = models.CharField(max_length=64, default="America/New_York")
    lot_size = models.DecimalField(max_digits=20, decimal_places=6, default=1)
    active = models.BooleanField(default=True, db_index=True)

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

    def __str__(self) -> str:
        return f"{self.instrument_id} {self.timeframe} {self.timestamp:%Y-%m-%d %H:%M}"
