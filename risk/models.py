from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from common.models import ActionRecord, AppendOnlyModel, BaseModel
from common.numeric import ColumnSpec, DecimalDigits, column_spec
from risk.choices import (
    ChangeRequestKind,
    ChangeRequestStatus,
    KillSwitchAction,
    OrderSide,
    Scope,
    TradingStateChoice,
    TripAction,
)

MONEY: DecimalDigits = {"max_digits": 20, "decimal_places": 6}


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
    # Changes with every risk state change (limits, states, overrides, restrictions), in the
    # same transaction: the version every process compares its cached state against when no
    # Redis is configured (and the seed of the Redis copy when it is).
    state_version = models.CharField(max_length=32, default="initial")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="kill_switch_singleton")]
        permissions = [
            ("operate_killswitch", "Can engage the kill switch and request its release"),
            ("request_change", "Can change trading states and limits, request raises"),
            ("approve_change", "Can approve kill switch releases, limit raises, loosened states"),
        ]

    def __str__(self) -> str:
        return "Kill switch: ENGAGED" if self.engaged else "Kill switch: released"


class KillSwitchEvent(ActionRecord, AppendOnlyModel):
    """Immutable record of each engage or release: who, when, why, from which request."""

    action = models.CharField(max_length=8, choices=KillSwitchAction)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="kill_switch_event_has_reason")
        ]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor_name} at {self.created_at:%Y-%m-%d %H:%M:%S}"


LIMIT_FIELDS = (
    "max_order_notional",
    "max_order_quantity",
    "max_position_notional",
    "max_gross_exposure",
    "max_net_exposure",
    "max_daily_loss",
    "daily_loss_warning_pct",
    "max_drawdown",
    "price_collar_bps",
    "expected_slippage_bps",
    "max_price_age_s",
    "max_orders_per_second",
    "max_orders_per_minute",
    "global_max_orders_per_second",
    "global_max_orders_per_minute",
    "duplicate_window_s",
    "manual_confirm_notional",
    "min_buying_power_reserve",
    "max_consecutive_losses",
    "loss_cooldown_minutes",
)


class RiskLimit(BaseModel):
    """Limits of one scope: the global default (no strategy, no symbol), a strategy's
    override (``strategy``) or an instrument's override (``symbol``).

    An empty field inherits the global value; a field set on both the strategy and the
    instrument takes the stricter. Names are plain text because the guard imports no app.
    Change them through ``risk.services.limit_change_request`` (lowering applies at once,
    raising needs a second person).
    """

    strategy = models.CharField(max_length=64, blank=True)
    symbol = models.CharField(max_length=32, blank=True)
    max_order_notional = models.DecimalField(**MONEY, null=True, blank=True)
    max_order_quantity = models.DecimalField(**MONEY, null=True, blank=True)
    max_position_notional = models.DecimalField(**MONEY, null=True, blank=True)
    max_gross_exposure = models.DecimalField(**MONEY, null=True, blank=True)
    max_net_exposure = models.DecimalField(**MONEY, null=True, blank=True)
    max_daily_loss = models.DecimalField(**MONEY, null=True, blank=True)
    daily_loss_warning_pct = models.DecimalField(**MONEY, null=True, blank=True)
    max_drawdown = models.DecimalField(**MONEY, null=True, blank=True)
    price_collar_bps = models.DecimalField(**MONEY, null=True, blank=True)
    expected_slippage_bps = models.DecimalField(**MONEY, null=True, blank=True)
    max_price_age_s = models.DecimalField(**MONEY, null=True, blank=True)
    max_orders_per_second = models.DecimalField(**MONEY, null=True, blank=True)
    max_orders_per_minute = models.DecimalField(**MONEY, null=True, blank=True)
    global_max_orders_per_second = models.DecimalField(**MONEY, null=True, blank=True)
    global_max_orders_per_minute = models.DecimalField(**MONEY, null=True, blank=True)
    duplicate_window_s = models.DecimalField(**MONEY, null=True, blank=True)
    manual_confirm_notional = models.DecimalField(**MONEY, null=True, blank=True)
    min_buying_power_reserve = models.DecimalField(**MONEY, null=True, blank=True)
    max_consecutive_losses = models.DecimalField(**MONEY, null=True, blank=True)
    loss_cooldown_minutes = models.DecimalField(**MONEY, null=True, blank=True)
    drawdown_halts = models.BooleanField(
        null=True, blank=True, help_text="Drawdown beyond its limit halts instead of reducing."
    )

    class Meta:
        ordering = ["strategy", "symbol"]
        constraints = [
            models.UniqueConstraint(fields=["strategy", "symbol"], name="risk_limit_unique_scope"),
            models.CheckConstraint(
                condition=Q(strategy="") | Q(symbol=""), name="risk_limit_one_scope"
            ),
            models.CheckConstraint(
                condition=Q(max_order_notional__isnull=True) | Q(max_order_notional__gt=0),
                name="risk_limit_max_order_notional_positive",
            ),
            models.CheckConstraint(
                condition=Q(max_order_quantity__isnull=True) | Q(max_order_quantity__gt=0),
                name="risk_limit_max_order_quantity_positive",
            ),
            models.CheckConstraint(
                condition=Q(max_position_notional__isnull=True) | Q(max_position_notional__gt=0),
                name="risk_limit_max_position_notional_positive",
            ),
            models.CheckConstraint(
                condition=Q(max_gross_exposure__isnull=True) | Q(max_gross_exposure__gt=0),
                name="risk_limit_max_gross_exposure_positive",
            ),
            models.CheckConstraint(
                condition=Q(max_net_exposure__isnull=True) | Q(max_net_exposure__gt=0),
                name="risk_limit_max_net_exposure_positive",
            ),
            models.CheckConstraint(
                condition=Q(max_daily_loss__isnull=True) | Q(max_daily_loss__gt=0),
                name="risk_limit_max_daily_loss_positive",
            ),
            models.CheckConstraint(
                condition=Q(daily_loss_warning_pct__isnull=True) | Q(daily_loss_warning_pct__gt=0),
                name="risk_limit_daily_loss_warning_pct_positive",
            ),
            models.CheckConstraint(
                condition=Q(max_drawdown__isnull=True) | Q(max_drawdown__gt=0),
                name="risk_limit_max_drawdown_positive",
            ),
            models.CheckConstraint(
                condition=Q(price_collar_bps__isnull=True) | Q(price_collar_bps__gt=0),
                name="risk_limit_price_collar_bps_positive",
            ),
            models.CheckConstraint(
                condition=Q(expected_slippage_bps__isnull=True) | Q(expected_slippage_bps__gte=0),
                name="risk_limit_expected_slippage_bps_positive",
            ),
            models.CheckConstraint(
                condition=Q(max_price_age_s__isnull=True) | Q(max_price_age_s__gt=0),
                name="risk_limit_max_price_age_s_positive",
            ),
            models.CheckConstraint(
                condition=Q(max_orders_per_second__isnull=True) | Q(max_orders_per_second__gt=0),
                name="risk_limit_max_orders_per_second_positive",
            ),
            models.CheckConstraint(
                condition=Q(max_orders_per_minute__isnull=True) | Q(max_orders_per_minute__gt=0),
                name="risk_limit_max_orders_per_minute_positive",
            ),
            models.CheckConstraint(
                condition=Q(global_max_orders_per_second__isnull=True)
                | Q(global_max_orders_per_second__gt=0),
                name="risk_limit_global_max_orders_per_second_positive",
            ),
            models.CheckConstraint(
                condition=Q(global_max_orders_per_minute__isnull=True)
                | Q(global_max_orders_per_minute__gt=0),
                name="risk_limit_global_max_orders_per_minute_positive",
            ),
            models.CheckConstraint(
                condition=Q(duplicate_window_s__isnull=True) | Q(duplicate_window_s__gt=0),
                name="risk_limit_duplicate_window_s_positive",
            ),
            models.CheckConstraint(
                condition=Q(manual_confirm_notional__isnull=True)
                | Q(manual_confirm_notional__gt=0),
                name="risk_limit_manual_confirm_notional_positive",
            ),
            models.CheckConstraint(
                condition=Q(min_buying_power_reserve__isnull=True)
                | Q(min_buying_power_reserve__gte=0),
                name="risk_limit_min_buying_power_reserve_positive",
            ),
            models.CheckConstraint(
                condition=Q(max_consecutive_losses__isnull=True) | Q(max_consecutive_losses__gt=0),
                name="risk_limit_max_consecutive_losses_positive",
            ),
            models.CheckConstraint(
                condition=Q(loss_cooldown_minutes__isnull=True) | Q(loss_cooldown_minutes__gt=0),
                name="risk_limit_loss_cooldown_minutes_positive",
            ),
        ]

    def __str__(self) -> str:
        if self.strategy:
            return f"Limits for strategy {self.strategy}"
        return f"Limits for {self.symbol or 'all instruments (global)'}"

    @property
    def scope(self) -> str:
        if self.strategy:
            return Scope.STRATEGY
        return Scope.INSTRUMENT if self.symbol else Scope.GLOBAL

    @property
    def key(self) -> str:
        return self.strategy or self.symbol


class RiskDecision(AppendOnlyModel):
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
    warnings = models.JSONField(default=list)
    utilisation = models.JSONField(default=dict)
    request_id = models.CharField(max_length=64, blank=True)
    decided_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-decided_at"]
        indexes = [models.Index(fields=["approved", "decided_at"])]

    def __str__(self) -> str:
        verdict = "approved" if self.approved else "rejected"
        return f"{self.client_order_id}: {verdict}"


# The unit each limit is set in: error messages and help texts name it.
CURRENCY = "in the account currency"
LIMIT_UNITS = {
    "max_order_notional": CURRENCY,
    "max_order_quantity": "shares",
    "max_position_notional": CURRENCY,
    "max_gross_exposure": CURRENCY,
    "max_net_exposure": CURRENCY,
    "max_daily_loss": CURRENCY,
    "daily_loss_warning_pct": "% of max_daily_loss",
    "max_drawdown": CURRENCY,
    "price_collar_bps": "bps",
    "expected_slippage_bps": "bps",
    "max_price_age_s": "seconds",
    "max_orders_per_second": "orders per second",
    "max_orders_per_minute": "orders per minute",
    "global_max_orders_per_second": "orders per second",
    "global_max_orders_per_minute": "orders per minute",
    "duplicate_window_s": "seconds",
    "manual_confirm_notional": CURRENCY,
    "min_buying_power_reserve": CURRENCY,
    "max_consecutive_losses": "losses",
    "loss_cooldown_minutes": "minutes",
}


def limit_spec(field: str) -> ColumnSpec:
    """What a limit column (and an override of it) holds: RiskLimit's digits and CHECKs."""
    return column_spec(RiskLimit, field, unit=LIMIT_UNITS[field])


def _actor_fk() -> models.ForeignKey:
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )


class TradingStateSetting(BaseModel):
    """The trading state of one scope (global, a strategy, an instrument).

    No row means ACTIVE. ``cooldown_until`` holds a strategy's automatic cooldown after a run
    of losing trades: HALTED until then, back to ``state`` afterwards without a write.
    """

    scope = models.CharField(max_length=10, choices=Scope)
    key = models.CharField(max_length=64, blank=True)
    state = models.CharField(
        max_length=8, choices=TradingStateChoice, default=TradingStateChoice.ACTIVE
    )
    reason = models.TextField(blank=True)
    cooldown_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["scope", "key"]
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="trading_state_unique_scope"),
            models.CheckConstraint(
                condition=Q(scope="global", key="") | (~Q(scope="global") & ~Q(key="")),
                name="trading_state_key_matches_scope",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key or ''}: {self.state}".replace("  ", " ")


class TemporaryLimitOverride(BaseModel, AppendOnlyModel):
    """A limit value that holds until ``expires_at``, then reverts by itself.

    The guard ignores an expired override at read time, so reverting needs no task; the
    periodic ``risk.expire_overrides`` only stamps ``reverted_at`` and writes the audit row.
    Append-only: stamping ``reverted_at`` once is the only change a stored override takes.
    """

    resolution_fields = ("reverted_at", "updated_at")

    scope = models.CharField(max_length=10, choices=Scope)
    key = models.CharField(max_length=64, blank=True)
    field = models.CharField(max_length=40)
    value = models.DecimalField(**MONEY, null=True, blank=True)
    expires_at = models.DateTimeField(db_index=True)
    reverted_at = models.DateTimeField(null=True, blank=True)
    created_by = _actor_fk()
    reason = models.TextField()
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-expires_at"]

    def __str__(self) -> str:
        return f"{self.scope} {self.key} {self.field}={self.value} until {self.expires_at}"

    def resolution_open(self, stored: AppendOnlyModel) -> bool:
        return stored.reverted_at is None  # type: ignore[attr-defined]


class RestrictedInstrument(BaseModel):
    """An instrument no strategy may trade (compliance restriction list)."""

    symbol = models.CharField(max_length=32, unique=True)
    reason = models.TextField()

    class Meta:
        ordering = ["symbol"]

    def __str__(self) -> str:
        return self.symbol


class ChangeRequest(AppendOnlyModel):
    """A change that needs a second person (four-eyes): the request and its approval.

    ``payload`` says what to apply, ``before`` what it replaces. The approver must hold
    ``risk.approve_change`` and cannot be the requester; a request expires after
    ``RISK_CHANGE_REQUEST_TTL_MINUTES``. Append-only: the decision fields are set once, while
    the request is pending; the request itself never changes.
    """

    resolution_fields = (
        "status",
        "decided_by_id",
        "decided_by_name",
        "decision_reason",
        "decision_request_id",
        "decided_at",
    )

    kind = models.CharField(max_length=24, choices=ChangeRequestKind)
    status = models.CharField(
        max_length=10, choices=ChangeRequestStatus, default=ChangeRequestStatus.PENDING
    )
    payload = models.JSONField(default=dict)
    before = models.JSONField(default=dict)
    requested_by = _actor_fk()
    requested_by_name = models.CharField(max_length=150)
    reason = models.TextField()
    request_id = models.CharField(max_length=64, blank=True)
    requested_at = models.DateTimeField(db_index=True)
    expires_at = models.DateTimeField()
    decided_by = _actor_fk()
    decided_by_name = models.CharField(max_length=150, blank=True)
    decision_reason = models.TextField(blank=True)
    decision_request_id = models.CharField(max_length=64, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="change_request_has_reason")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.requested_by_name}: {self.status}"

    def resolution_open(self, stored: AppendOnlyModel) -> bool:
        return stored.status == ChangeRequestStatus.PENDING  # type: ignore[attr-defined]


class RiskAction(ActionRecord, AppendOnlyModel):
    """Immutable audit row of every risk action: who, why, which request, before and after."""

    action = models.CharField(max_length=40, db_index=True)
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor_name}"


class RiskTrip(AppendOnlyModel):
    """An automatic trip: which limit, the value that breached it, the action taken, when."""

    limit = models.CharField(max_length=40)
    scope = models.CharField(max_length=10, choices=Scope, default=Scope.GLOBAL)
    key = models.CharField(max_length=64, blank=True)
    value = models.DecimalField(**MONEY)
    threshold = models.DecimalField(**MONEY)
    action = models.CharField(max_length=12, choices=TripAction)
    tripped_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-tripped_at"]

    def __str__(self) -> str:
        return f"{self.limit} {self.value} >= {self.threshold}: {self.action}"


class EquityPeak(models.Model):
    """The highest equity seen in a trading day: the reference of the drawdown limit."""

    trading_day = models.DateField(unique=True)
    peak = models.DecimalField(**MONEY)
    observed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.trading_day}: {self.peak}"
