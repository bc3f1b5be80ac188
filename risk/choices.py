from django.db import models


class KillSwitchAction(models.TextChoices):
    ENGAGE = "engage", "Engage"
    RELEASE = "release", "Release"


class OrderSide(models.TextChoices):
    BUY = "buy", "Buy"
    SELL = "sell", "Sell"


class Scope(models.TextChoices):
    GLOBAL = "global", "Global"
    STRATEGY = "strategy", "Strategy"
    INSTRUMENT = "instrument", "Instrument"


class TradingStateChoice(models.TextChoices):
    """Mirrors ``risk.guard.TradingState`` (the pure module holds the ordering)."""

    ACTIVE = "ACTIVE", "Active"
    REDUCING = "REDUCING", "Reducing only"
    HALTED = "HALTED", "Halted"


class ChangeRequestKind(models.TextChoices):
    KILL_SWITCH_RELEASE = "kill_switch_release", "Release the kill switch"
    LIMIT_RAISE = "limit_raise", "Raise a limit"
    STATE_LOOSEN = "state_loosen", "Loosen a trading state"


class ChangeRequestStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class TripAction(models.TextChoices):
    KILL_SWITCH = "kill_switch", "Kill switch engaged"
    REDUCING = "reducing", "Moved to REDUCING"
    HALTED = "halted", "Moved to HALTED"
    COOLDOWN = "cooldown", "Strategy cooldown"
