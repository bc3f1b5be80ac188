from __future__ import annotations

from django.db import models


class AssetClass(models.TextChoices):
    EQUITY = "equity", "Equity"
    CRYPTO = "crypto", "Crypto"
    FX = "fx", "FX"
    FUTURE = "future", "Future"


class Timeframe(models.TextChoices):
    MINUTE_1 = "1m", "1 minute"
    MINUTE_5 = "5m", "5 minutes"
    MINUTE_15 = "15m", "15 minutes"
    HOUR_1 = "1h", "1 hour"
    DAY_1 = "1d", "1 day"


class BarStatus(models.TextChoices):
    """Whether a stored bar may feed features, signals and orders.

    ``ok``, ``confirmed`` and ``released`` are trusted; ``quarantined`` and ``discarded`` are not.
    """

    OK = "ok", "OK"
    QUARANTINED = "quarantined", "Quarantined"
    CONFIRMED = "confirmed", "Confirmed"
    RELEASED = "released", "Released"
    DISCARDED = "discarded", "Discarded"


TRUSTED_BAR_STATUSES = (BarStatus.OK, BarStatus.CONFIRMED, BarStatus.RELEASED)


class BarReviewAction(models.TextChoices):
    CONFIRM = "confirm", "Confirmed automatically"
    RELEASE = "release", "Released by an operator"
    DISCARD = "discard", "Discarded by an operator"


class ProviderEventKind(models.TextChoices):
    BREAKER_OPENED = "breaker_opened", "Breaker opened"
    BREAKER_HALF_OPEN = "breaker_half_open", "Breaker half-open"
    BREAKER_CLOSED = "breaker_closed", "Breaker closed"
    FAILOVER = "failover", "Failover"
    FAILBACK = "failback", "Failback"
    BACKFILL = "backfill", "Backfill"
