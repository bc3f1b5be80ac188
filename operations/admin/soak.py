from __future__ import annotations

from django.contrib import admin

from common.admin import ReadOnlyAdmin
from operations.models import SoakDailyReport, SoakRun


class SoakDailyReportInline(admin.TabularInline):
    model = SoakDailyReport
    extra = 0
    can_delete = False
    fields = [
        "session",
        "cycles_expected",
        "cycles_run",
        "bars_expected",
        "bars_stored",
        "signals",
        "orders",
        "fills",
        "realized_pnl",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SoakRun)
class SoakRunAdmin(ReadOnlyAdmin):
    list_display = [
        "started_at",
        "status",
        "trading_days",
        "instruments",
        "speed",
        "faults",
        "first_session",
        "finished_at",
    ]
    list_filter = ["status"]
    readonly_fields = [field.name for field in SoakRun._meta.fields]
    inlines = [SoakDailyReportInline]


@admin.register(SoakDailyReport)
class SoakDailyReportAdmin(ReadOnlyAdmin):
    list_display = ["soak_run", "session", "cycles_run", "bars_stored", "orders", "fills"]
    list_select_related = ["soak_run"]
    readonly_fields = [field.name for field in SoakDailyReport._meta.fields]
