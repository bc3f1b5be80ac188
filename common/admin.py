"""Admin building blocks shared by the apps: read-only records, and the one way an operator
action asks for a reason before it acts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from common.exceptions import TradingOpsError

REASON_HELP = "Why you act. Recorded with your name and the request ID."

# apply(request, row, reason) performs the action on one row through its service and returns
# what to tell the operator ("AAPL 14:05 bar released"); a refusal raises TradingOpsError.
RowAction = Callable[[HttpRequest, Any, str], str]
AdminAction = Callable[[admin.ModelAdmin, HttpRequest, QuerySet], HttpResponse | None]


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records nobody may edit (decisions, events, fills): compliance reads them."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), help_text=REASON_HELP)


def reason_confirm(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    rows: QuerySet | list[Model],
    *,
    title: str,
    apply: RowAction,
    explanation: str = "",
    describe: Callable[[Any], str] = str,
) -> HttpResponse | None:
    """Show the selected rows on a confirm page that asks for a reason; once a reason is
    given, apply the action to each row and report each outcome (a refused row does not stop
    the others)."""
    form = ReasonForm(request.POST if "apply" in request.POST else None)
    if not form.is_valid():
        context = {
            **modeladmin.admin_site.each_context(request),
            "title": title,
            "explanation": explanation,
            "rows": [(row.pk, describe(row)) for row in rows],
            "form": form,
            "action": request.POST.get("action", ""),
            "opts": modeladmin.model._meta,
        }
        return TemplateResponse(request, "admin/reason_confirm.html", context)
    for row in rows:
        try:
            messages.success(request, apply(request, row, form.cleaned_data["reason"]))
        except TradingOpsError as exc:
            messages.error(request, f"{describe(row)}: {exc}")
    return None


def reason_action(
    title: str,
    apply: RowAction,
    *,
    explanation: str = "",
    describe: Callable[[Any], str] = str,
    permissions: tuple[str, ...] = (),
) -> AdminAction:
    """An admin action named after ``title`` that confirms with a reason (reason_confirm).
    ``permissions`` are admin action permissions (``has_<name>_permission`` on the admin)."""

    def action(
        modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet
    ) -> HttpResponse | None:
        return reason_confirm(
            modeladmin,
            request,
            queryset,
            title=title,
            apply=apply,
            explanation=explanation,
            describe=describe,
        )

    action.__name__ = title.lower().replace(" ", "_")
    return admin.action(description=title, permissions=list(permissions) or None)(action)
