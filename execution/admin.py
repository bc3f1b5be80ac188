from django.contrib import admin
from django.http import HttpRequest

from common.admin import ReadOnlyAdmin
from execution.models import Fill, Order, Position, Strategy


@admin.register(Strategy)
class StrategyAdmin(admin.ModelAdmin):
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
    inlines = [FillInline]


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


@admin.register(Position)
class PositionAdmin(ReadOnlyAdmin):
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
