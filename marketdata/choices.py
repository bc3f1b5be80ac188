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
