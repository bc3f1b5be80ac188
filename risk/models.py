from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from common.models import BaseModel
from risk.choices import KillSwitchAction, OrderSide

MONEY = {"max_digits": 20, "decimal_places": 6}


class KillSwitch(models.Model):
    """The global kill switch: one row (id 1), created by a data migration.

    Only ``kill_switch_engage`` / ``kill_switch_release`` change it, each writing a
    ``KillSwitchEvent`` in the same transaction.
    """

    SINGLETON_ID = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID)
    engaged = models.BooleanField(default=False)
    kill_switch_engaged_at = models.DateTimeField(null=True, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="kill_switch_singleton")]
        permissions = [("operate_killswitch", "Can engage and release the kill switch")]

    def __str__(self) -> str:
        return "Kill switch: ENGAGED" if self.engaged else "Kill switch: released"


class KillSwitchEvent(models.Model):
    """Immutable record of each engage or release: who, when, why, from which request."""

    action = models.CharField(max_length=8, choices=KillSwitchAction)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_name = models.CharField(max_length=150)
    reason = models.TextField()
    request_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="kill_switch_event_has_reason")
        ]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor_name} at {self.created_at:%Y-%m-%d %H:%M:%S}"


class RiskLimit(BaseModel):
    """Limits for one instrument (``symbol``), or the global default (empty symbol).

    A per-instrument value overrides the global one; an empty field inherits it. The symbol
    is plain text because the guard imports no other app.
    """

    symbol = models.CharField(max_length=32, blank=True, unique=True)
    max_order_notional = models.DecimalField(**MONEY, null=True, blank=True)
    max_daily_loss = models.DecimalField(**MONEY, null=True, blank=True)

    class Meta:
        ordering = ["symbol"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_order_notional__isnull=True) | Q(max_order_notional__gt=0),
                name="risk_limit_order_notional_positive",
            ),
            models.CheckConstraint(
                condition=Q(max_daily_loss__isnull=True) | Q(max_daily_loss__gt=0),
                name="risk_limit_daily_loss_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"Limits for {self.symbol or 'all instruments (global)'}"


class RiskDecision(models.Model):
    """Every pre-trade decision, approved or not, with each reason and limit utilisation."""

    client_order_id = models.CharField(max_length=128, db_index=True)
    strategy = models.CharField(max_length=64)
    symbol = models.CharField(max_length=32)
    side = models.CharField(max_length=4, choices=OrderSide)
    quantity = models.DecimalField(**MONEY)
    reference_price = models.DecimalField(**MONEY)
    notional = models.DecimalField(**MONEY)
    approved = models.BooleanField()
    reasons = models.JSONField(default=list)
    utilisation = models.JSONField(default=dict)
    request_id = models.CharField(max_length=64, blank=True)
    decided_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-decided_at"]

    def __str__(self) -> str:
        verdict = "approved" if self.approved else "rejected"
        return f"{self.client_order_id}: {verdict}"
