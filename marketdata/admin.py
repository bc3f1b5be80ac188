from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from common.admin import ReadOnlyAdmin, reason_confirm
from common.numeric import ColumnFormField, column_spec
from common.request_context import request_id_of, request_user
from marketdata.choices import BarStatus
from marketdata.models import Bar, BarReview, Instrument, ProviderEvent
from marketdata.selectors import instrument_staleness
from marketdata.services import bar_discard, bar_release


class InstrumentForm(forms.ModelForm):
    """lot_size checked against its column (digits, places, > 0) with a message naming it."""

    lot_size = ColumnFormField(column_spec(Instrument, "lot_size", unit="units of the instrument"))

    class Meta:
        model = Instrument
        fields = [
            "symbol", "name", "asset_class", "exchange", "exchange_timezone", "lot_size",
            "active", "providers", "calendar",
        ]  # fmt: skip


@admin.register(Instrument)
class InstrumentAdmin(admin.ModelAdmin):
    """Staleness is computed from the newest-bar cache, so the list stays cheap."""

    form = InstrumentForm

    list_display = [
        "symbol",
        "name",
        "asset_class",
        "exchange",
        "calendar",
        "providers",
        "active",
        "is_stale",
        "newest_bar",
    ]
    list_filter = ["asset_class", "active", "exchange"]
    search_fields = ["symbol", "name"]

    @admin.display(boolean=True, description="stale")
    def is_stale(self, obj: Instrument) -> bool:
        return instrument_staleness(instrument=obj).stale

    @admin.display(description="newest trusted bar (UTC)")
    def newest_bar(self, obj: Instrument) -> str:
        staleness = instrument_staleness(instrument=obj)
        if staleness.as_of is None:
            return "none"
        return f"{staleness.as_of:%Y-%m-%d %H:%M} ({staleness.open_bars_missing} open bars ago)"


def _bar_description(bar: Bar) -> str:
    reasons = ", ".join(bar.quality_reasons)
    return (
        f"{bar.instrument.symbol} {bar.timestamp:%Y-%m-%d %H:%M} UTC: close {bar.close} ({reasons})"
    )


def _review_action(
    modeladmin: BarAdmin,
    request: HttpRequest,
    queryset: QuerySet[Bar],
    *,
    verb: str,
    service: Callable[..., Bar],
) -> HttpResponse | None:
    """Confirm with a reason, then call the review service once per quarantined bar."""

    def apply(request: HttpRequest, bar: Bar, reason: str) -> str:
        service(
            bar=bar, actor=request_user(request), reason=reason, request_id=request_id_of(request)
        )
        return f"{_bar_description(bar)} {verb}"

    return reason_confirm(
        modeladmin,
        request,
        list(queryset.filter(status=BarStatus.QUARANTINED).select_related("instrument")),
        title=f"{verb.capitalize()} quarantined bars",
        explanation=f"These quarantined bars will be {verb}.",
        apply=apply,
        describe=_bar_description,
    )


@admin.register(Bar)
class BarAdmin(ReadOnlyAdmin):
    """Bars are read-only; quarantined ones are released or discarded through the actions."""

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
        "status",
        "quality_reasons",
        "ingested_at",
    ]
    list_filter = ["status", "timeframe", "source", "instrument"]
    list_select_related = ["instrument"]
    search_fields = ["instrument__symbol"]
    date_hierarchy = "timestamp"
    show_full_result_count = False
    actions = ["release_bars", "discard_bars"]

    def has_review_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("marketdata.review_bar")

    @admin.action(description="Release selected quarantined bars", permissions=["review"])
    def release_bars(self, request: HttpRequest, queryset: QuerySet[Bar]) -> HttpResponse | None:
        return _review_action(self, request, queryset, verb="released", service=bar_release)

    @admin.action(description="Discard selected quarantined bars", permissions=["review"])
    def discard_bars(self, request: HttpRequest, queryset: QuerySet[Bar]) -> HttpResponse | None:
        return _review_action(self, request, queryset, verb="discarded", service=bar_discard)


@admin.register(BarReview)
class BarReviewAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "bar", "action", "actor_name", "reason", "request_id"]
    list_filter = ["action"]
    list_select_related = ["bar__instrument"]
    raw_id_fields = ["bar"]
    search_fields = ["bar__instrument__symbol", "actor_name", "reason", "request_id"]
    date_hierarchy = "created_at"


@admin.register(ProviderEvent)
class ProviderEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "provider", "kind", "symbol", "reason", "duration_s"]
    list_filter = ["kind", "provider"]
    search_fields = ["provider", "symbol", "reason"]
    date_hierarchy = "created_at"
