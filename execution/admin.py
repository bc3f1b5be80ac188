from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from common.admin import ReadOnlyAdmin, reason_action
from common.numeric import ColumnFormField, column_spec
from common.request_context import request_id_of, request_user
from execution.models import (
    Fill,
    Order,
    OrderEvent,
    Position,
    PositionLot,
    ReconciliationBreak,
    ReconciliationRun,
    Strategy,
)
from execution.services import reconciliation_break_resolve
from execution.services.reconciliation import PERM_RESOLVE


class StrategyForm(forms.ModelForm):
    """Numbers checked against their columns with the API's messages: Django's own fields
    would let SQLite round a 20-digit notional and leave the CHECKs to an unnamed error."""

    class Meta:
        model = Strategy
        fields = [
            "name", "registered_model", "notional_per_trade", "min_confidence", "enabled",
            "instruments",
        ]  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, unit in (
            ("notional_per_trade", "in the account currency"),
            ("min_confidence", "(a probability)"),
        ):
            required = self.fields[name].required
            self.fields[name] = ColumnFormField(column_spec(Strategy, name, unit=unit))
            self.fields[name].required = required


@admin.register(Strategy)
class StrategyAdmin(admin.ModelAdmin):
    form = StrategyForm
    list_display = ["name", "registered_model", "notional_per_trade", "min_confidence", "enabled"]
    list_filter = ["enabled", "registered_model"]
    list_select_related = ["registered_model"]
    search_fields = ["name"]
    filter_horizontal = ["instruments"]


class FillInline(admin.TabularInline):
    model = Fill
    extra = 0
    can_delete = False
    readonly_fields = ["broker_fill_id", "quantity", "price", "fee", "realized_pnl", "filled_at"]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class OrderEventInline(admin.TabularInline):
    model = OrderEvent
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "recorded_at", "event", "source", "from_status", "to_status", "outcome", "anomaly", "at",
    )  # fmt: skip

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = [
        "client_order_id",
        "strategy",
        "instrument",
        "side",
        "quantity",
        "status",
        "average_fill_price",
        "bar_timestamp",
        "filled_at",
    ]
    list_filter = ["status", "side", "strategy", "instrument"]
    list_select_related = ["strategy", "instrument"]
    search_fields = ["client_order_id", "broker_order_id", "instrument__symbol"]
    date_hierarchy = "bar_timestamp"
    inlines = [FillInline, OrderEventInline]


@admin.register(Fill)
class FillAdmin(ReadOnlyAdmin):
    list_display = [
        "broker_fill_id",
        "order",
        "quantity",
        "price",
        "fee",
        "realized_pnl",
        "filled_at",
    ]
    list_select_related = ["order"]
    search_fields = ["broker_fill_id", "order__client_order_id"]
    date_hierarchy = "filled_at"


class PositionLotInline(admin.TabularInline):
    """The open lots behind a position's FIFO PnL, oldest first: what each fill still holds."""

    model = PositionLot
    fields = ("opened_at", "quantity", "price", "fill")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Position)
class PositionAdmin(ReadOnlyAdmin):
    inlines = [PositionLotInline]
    list_display = [
        "strategy",
        "instrument",
        "quantity",
        "average_price",
        "mark_price",
        "unrealized_pnl",
        "realized_pnl",
        "marked_at",
    ]
    list_filter = ["strategy", "instrument"]
    list_select_related = ["strategy", "instrument"]


@admin.register(OrderEvent)
class OrderEventAdmin(ReadOnlyAdmin):
    list_display = [
        "recorded_at", "order", "event", "source", "from_status", "to_status", "outcome",
        "anomaly",
    ]  # fmt: skip
    list_filter = ["outcome", "source", "anomaly"]
    list_select_related = ["order"]
    search_fields = ["order__client_order_id", "event_id"]
    raw_id_fields = ["order"]


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(ReadOnlyAdmin):
    list_display = [
        "started_at", "broker", "succeeded", "orders_checked", "positions_checked",
        "orders_healed", "breaks_found", "request_id",
    ]  # fmt: skip
    list_filter = ["broker", "succeeded"]


def _resolve(request: HttpRequest, record: ReconciliationBreak, reason: str) -> str:
    reconciliation_break_resolve(
        break_id=record.pk,
        actor=request_user(request),
        reason=reason,
        request_id=request_id_of(request),
    )
    return f"{record} resolved"


@admin.register(ReconciliationBreak)
class ReconciliationBreakAdmin(ReadOnlyAdmin):
    """Breaks are read-only; an operator with the resolve permission closes them with a
    reason through the action (recorded with who, when and the request ID)."""

    list_display = [
        "detected_at", "kind", "status", "symbol", "client_order_id", "expected", "actual",
        "detail", "resolved_by_name", "resolved_at",
    ]  # fmt: skip
    list_filter = ["status", "kind"]
    list_select_related = ["strategy", "order"]
    search_fields = ["fingerprint", "symbol", "client_order_id", "broker_order_id", "request_id"]
    raw_id_fields = ["run", "order", "strategy", "resolved_by"]
    actions = [reason_action("Resolve selected breaks", _resolve)]

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        if not request.user.has_perm(PERM_RESOLVE):
            actions.pop("resolve_selected_breaks", None)
        return actions
