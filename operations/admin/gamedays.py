from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html, format_html_join

from common.admin import ReadOnlyAdmin
from operations.models import GameDay


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
