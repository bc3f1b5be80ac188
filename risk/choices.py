from django.db import models


class KillSwitchAction(models.TextChoices):
    ENGAGE = "engage", "Engage"
    RELEASE = "release", "Release"


class OrderSide(models.TextChoices):
    BUY = "buy", "Buy"
    SELL = "sell", "Sell"
