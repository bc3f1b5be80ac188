from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from common.admin import ReadOnlyAdmin
from common.exceptions import ValidationFailed
from common.numeric import ColumnFormField, column_spec
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


class ReviewReasonForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why these bars are right (release) or wrong (discard). Recorded with your name.",
    )


def _review_action(
    modeladmin: BarAdmin,
    request: HttpRequest,
    queryset: QuerySet[Bar],
    *,
    action: str,
    verb: str,
    service: Callable[..., Bar],
) -> HttpResponse | None:
    """Ask for a reason on a confirm page, then call the service once per bar."""
    bars = list(queryset.filter(status=BarStatus.QUARANTINED).select_related("instrument"))
    form = ReviewReasonForm(request.POST if "apply" in request.POST else None)
    if not form.is_valid():
        context = {
            **modeladmin.admin_site.each_context(request),
            "title": f"{verb.capitalize()} quarantined bars",
            "bars": bars,
            "form": form,
            "action": action,
            "verb": verb,
            "opts": modeladmin.model._meta,
        }
        return TemplateResponse(request, "admin/marketdata/bar/review_confirm.html", context)
    done = 0
    for bar in bars:
        try:
            service(
                bar=bar,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                request_id=getattr(request, "request_id", ""),
            )
            done += 1
        except ValidationFailed as exc:
            messages.error(request, str(exc))
    modeladmin.message_user(request, f"{done} bar(s) {verb}.", messages.SUCCESS)
    return None


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
        return _review_action(
            self, request, queryset, action="release_bars", verb="released", service=bar_release
        )

    @admin.action(description="Discard selected quarantined bars", permissions=["review"])
    def discard_bars(self, request: HttpRequest, queryset: QuerySet[Bar]) -> HttpResponse | None:
        return _review_action(
            self, request, queryset, action="discard_bars", verb="discarded", service=bar_discard
        )


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
