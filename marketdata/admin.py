from django.contrib import admin

from common.admin import ReadOnlyAdmin
from marketdata.models import Bar, Instrument


@admin.register(Instrument)
class InstrumentAdmin(admin.ModelAdmin):
    list_display = ["symbol", "name", "asset_class", "exchange", "exchange_timezone", "active"]
    list_filter = ["asset_class", "active", "exchange"]
    search_fields = ["symbol", "name"]


@admin.register(Bar)
class BarAdmin(ReadOnlyAdmin):
    list_display = [
        "instrument",
        "timeframe",
        "timestamp",
        "open",
        "high",
        "low",
        "close",
        "volume",
        "source",
        "ingested_at",
    ]
    list_filter = ["timeframe", "source", "instrument"]
    list_select_related = ["instrument"]
    search_fields = ["instrument__symbol"]
    date_hierarchy = "timestamp"
    show_full_result_count = False
