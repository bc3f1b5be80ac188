"""The drills' records in admin, read-only: the commands write them."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from common.admin import ReadOnlyAdmin
from drills.models import GameDay, SoakDailyReport, SoakRun


class SoakDailyReportInline(admin.TabularInline):
    model = SoakDailyReport
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "session",
        "cycles_expected",
        "cycles_run",
        "bars_expected",
        "bars_stored",
        "signals",
        "orders",
        "fills",
        "realized_pnl",
    )

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
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


@admin.register(GameDay)
class GameDayAdmin(ReadOnlyAdmin):
    list_display = [
        "scenario",
        "started_at",
        "passed",
        "time_to_detect_s",
        "time_to_recover_s",
        "orders_affected",
        "data_lost",
    ]
    list_filter = ["passed", "scenario"]
    search_fields = ["scenario"]
    readonly_fields = [
        *(field.name for field in GameDay._meta.fields if field.name != "timeline"),
        "timeline_table",
    ]

    @admin.display(description="timeline")
    def timeline_table(self, game_day: GameDay) -> str:
        rows = format_html_join(
            "",
            "<tr><td>{:.1f} s</td><td>{}</td><td>{}</td></tr>",
            ((event["t_s"], event["kind"], event["detail"]) for event in game_day.timeline),
        )
        return format_html("<table><tr><th>t</th><th>kind</th><th>event</th></tr>{}</table>", rows)
