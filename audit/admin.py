"""Compliance's view of the audit trail: filter, export with the chain hashes, summarise."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any

from django.contrib import admin
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path

from audit.models import AuditChainVerification, AuditCheckpoint, AuditEvent
from audit.selectors import EXPORT_FIELDS, audit_daily_summary, audit_export_rows
from common import clock
from common.admin import ReadOnlyAdmin

EXPORT_PERMISSION = "audit.export_auditevent"


class RoleFilter(admin.SimpleListFilter):
    """Events by a role the actor held when acting (the roles are stored on each event)."""

    title = "actor role"
    parameter_name = "role"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            (name, name) for name in Group.objects.order_by("name").values_list("name", flat=True)
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if not self.value():
            return queryset
        # JSON text search works on SQLite and PostgreSQL alike; role names are quoted.
        return queryset.filter(actor_roles__icontains=json.dumps(self.value()))


class ActorFilter(admin.SimpleListFilter):
    title = "actor"
    parameter_name = "actor_name"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        names = AuditEvent.objects.order_by("actor_name").values_list("actor_name", flat=True)
        return [(name, name) for name in names.distinct()[:200]]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(actor_name=self.value()) if self.value() else queryset


def _filename(extension: str) -> str:
    return f"audit-events-{clock.now():%Y%m%dT%H%M%SZ}.{extension}"


class _Echo:
    def write(self, value: str) -> str:
        return value


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Filters: actor, role, action, object type, time range (date hierarchy, or any range as
    ``?created_at__gte=…&created_at__lt=…``) and request ID (search, or ``?request_id=…``)."""

    list_display = [
        "sequence",
        "created_at",
        "actor_name",
        "actor_roles",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "reason",
        "request_id",
        "short_chain_hash",
    ]
    list_filter = [ActorFilter, RoleFilter, "action", "object_type", "created_at"]
    search_fields = ["=request_id", "=object_id", "object_repr", "actor_name", "reason"]
    date_hierarchy = "created_at"
    actions = ["export_csv", "export_json"]
    list_per_page = 100
    show_full_result_count = False

    @admin.display(description="chain sha256")
    def short_chain_hash(self, obj: AuditEvent) -> str:
        return obj.chain_sha256[:12]

    def has_export_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(EXPORT_PERMISSION)

    @admin.action(
        description="Export selected events as CSV (with chain hashes)", permissions=["export"]
    )
    def export_csv(self, request: HttpRequest, queryset: QuerySet) -> StreamingHttpResponse:
        writer = csv.writer(_Echo())

        def lines() -> Iterator[str]:
            yield writer.writerow(EXPORT_FIELDS)
            for row in audit_export_rows(queryset):
                yield writer.writerow(
                    [
                        json.dumps(row[f], sort_keys=True)
                        if f in ("actor_roles", "payload")
                        else row[f]
                        for f in EXPORT_FIELDS
                    ]
                )

        response = StreamingHttpResponse(lines(), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="{_filename("csv")}"'
        return response

    @admin.action(
        description="Export selected events as JSON (with chain hashes)", permissions=["export"]
    )
    def export_json(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        response = HttpResponse(
            json.dumps(list(audit_export_rows(queryset)), indent=1), content_type="application/json"
        )
        response["Content-Disposition"] = f'attachment; filename="{_filename("json")}"'
        return response

    def get_urls(self) -> list[URLPattern]:
        summary = path(
            "summary/",
            self.admin_site.admin_view(self.summary_view),
            name="audit_auditevent_summary",
        )
        return [summary, *super().get_urls()]

    def summary_view(self, request: HttpRequest) -> HttpResponse:
        """Per day: privileged actions, configuration changes, risk overrides, kill switch."""
        if not self.has_view_permission(request):
            return HttpResponse("You may not view the audit trail.", status=403)
        context = {
            **self.admin_site.each_context(request),
            "title": "Audit trail: privileged actions per day",
            "opts": self.model._meta,
            "days": audit_daily_summary(days=int(request.GET.get("days", "30") or 30)),
        }
        return TemplateResponse(request, "admin/audit/auditevent/summary.html", context)


@admin.register(AuditChainVerification)
class AuditChainVerificationAdmin(ReadOnlyAdmin):
    list_display = [
        "verified_at",
        "valid",
        "events_checked",
        "head_sequence",
        "broken_sequence",
        "problem",
    ]
    list_filter = ["valid"]
    date_hierarchy = "verified_at"


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(ReadOnlyAdmin):
    list_display = ["sequence", "created_at", "pruned_count", "retention_days", "chain_sha256"]
