"""Operations admin: backups and restore drills, the operating records (runbooks, readiness,
incidents, shutdown/startup) and the beat schedule."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django_celery_beat.admin import PeriodicTaskAdmin
from django_celery_beat.models import PeriodicTask

from common.admin import ReadOnlyAdmin
from common.exceptions import TradingOpsError
from common.request_context import request_id_of, request_user
from operations import incidents, readiness, runbooks
from operations.choices import ReadinessStatus, TimelineKind
from operations.models import (
    DatabaseBackup,
    Incident,
    IncidentTimelineEntry,
    ReadinessItem,
    RestoreDrill,
    Runbook,
    RunbookVersion,
    TradingLifecycleEvent,
)

# Database backups and restore drills, read-only: the services write them (daily and weekly
# tasks, ``manage.py backup_database`` and ``manage.py restore_drill``).


@admin.register(DatabaseBackup)
class DatabaseBackupAdmin(ReadOnlyAdmin):
    list_display = [
        "finished_at",
        "succeeded",
        "filename",
        "size_bytes",
        "storage",
        "actor_name",
        "error",
    ]
    list_filter = ["succeeded", "vendor"]
    date_hierarchy = "finished_at"
    search_fields = ["filename", "request_id"]


@admin.register(RestoreDrill)
class RestoreDrillAdmin(ReadOnlyAdmin):
    list_display = [
        "finished_at",
        "passed",
        "filename",
        "audit_events_checked",
        "ledger_breaks",
        "actor_name",
        "problems",
    ]
    list_filter = ["passed"]
    date_hierarchy = "finished_at"
    raw_id_fields = ["backup"]
    list_select_related = ["backup"]
    search_fields = ["filename", "request_id"]


# Operations admin: runbooks (rendered, with version history), the readiness checklist with
# live statuses, incidents with their timeline, and the shutdown/startup records.
#
# Writes go through the services in ``operations.runbooks``, ``operations.readiness`` and
# ``operations.incidents``; records of what happened are read-only.


def _rendered(content: str) -> str:
    # The content comes from the reviewed repository (load_runbooks), never from admin input.
    return mark_safe(runbooks.render_markdown(content))  # noqa: S308


class RunbookVersionInline(admin.TabularInline):
    model = RunbookVersion
    fields = ("number", "content_sha256", "loaded_at", "loaded_by")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Runbook)
class RunbookAdmin(admin.ModelAdmin):
    """Runbooks are edited in the repository (reviewed like code) and loaded here."""

    list_display = ("title", "slug", "alert_names", "version", "updated_at")
    search_fields = ("slug", "title", "current_version__content")
    list_select_related = ("current_version",)
    readonly_fields = ("slug", "title", "source_path", "alert_names", "version", "page", "body")
    fields = readonly_fields
    inlines = [RunbookVersionInline]
    actions = ["reload_from_repository"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="alerts")
    def alert_names(self, obj: Runbook) -> str:
        return ", ".join(obj.alerts) or "—"

    @admin.display(description="version")
    def version(self, obj: Runbook) -> str:
        v = obj.current_version
        return f"v{v.number} ({v.content_sha256[:12]})" if v else "—"

    @admin.display(description="stable link (alerts)")
    def page(self, obj: Runbook) -> str:
        url = reverse("runbook-page", args=[obj.slug])
        return format_html('<a href="{}">{}</a>', url, url)

    @admin.display(description="runbook")
    def body(self, obj: Runbook) -> str:
        return _rendered(obj.current_version.content) if obj.current_version else "—"

    @admin.action(description="Reload every runbook from docs/runbooks/")
    def reload_from_repository(self, request: HttpRequest, queryset: QuerySet) -> None:
        report = runbooks.runbooks_load(actor_name=request.user.get_username())
        messages.info(
            request,
            f"created {len(report.created)}, updated {len(report.updated)}, "
            f"unchanged {len(report.unchanged)}",
        )


@admin.register(RunbookVersion)
class RunbookVersionAdmin(ReadOnlyAdmin):
    list_display = ("runbook", "number", "content_sha256", "loaded_at", "loaded_by")
    list_filter = ("runbook",)
    list_select_related = ("runbook",)
    readonly_fields = ("runbook", "number", "content_sha256", "loaded_at", "loaded_by", "body")
    fields = readonly_fields

    @admin.display(description="content")
    def body(self, obj: RunbookVersion) -> str:
        return _rendered(obj.content)


STATUS_COLOURS: dict[str, str] = {ReadinessStatus.PASS: "#2e7d32", ReadinessStatus.FAIL: "#c62828"}


@admin.register(ReadinessItem)
class ReadinessItemAdmin(admin.ModelAdmin):
    """The checklist. Opening it runs every automatic check, so statuses are live; manual
    items take a status and evidence from their owner (changes logged by django-auditlog)."""

    list_display = (
        "title",
        "category",
        "owner",
        "required",
        "status_badge",
        "evidence",
        "check_key",
        "last_checked_at",
    )
    list_filter = ("category", "status", "required")
    search_fields = ("key", "title", "owner", "evidence")
    actions = ["run_checks"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        fixed = ("key", "category", "title", "description", "check_key", "last_checked_at")
        return (*fixed, "status", "evidence") if obj is not None and obj.check_key else fixed

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # items come from code (readiness_items_load)

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj: ReadinessItem) -> str:
        colour = STATUS_COLOURS.get(obj.status, "#8a6d00")
        return format_html('<b style="color:{}">{}</b>', colour, obj.get_status_display())

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        readiness.readiness_items_load()
        items = readiness.readiness_evaluate()
        blocking = readiness.blocking_items(items)
        level = messages.WARNING if blocking else messages.SUCCESS
        text = (
            (
                f"Live trading blocked by {len(blocking)} required items: "
                + ", ".join(i.key for i in blocking)
            )
            if blocking
            else ("Every required item passes: live trading allowed.")
        )
        messages.add_message(request, level, text)
        return super().changelist_view(request, extra_context)

    @admin.action(description="Run the automatic checks now")
    def run_checks(self, request: HttpRequest, queryset: QuerySet) -> None:
        readiness.readiness_evaluate()
        messages.info(request, "Automatic checks run.")


class TimelineInline(admin.TabularInline):
    model = IncidentTimelineEntry
    fields = ("at", "kind", "text", "actor_name", "request_id")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # entries are added through the note field, with the actor recorded


class IncidentForm(forms.ModelForm):
    note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Adds a line to the timeline with your name.",
    )
    note_kind = forms.ChoiceField(
        choices=TimelineKind.choices, initial=TimelineKind.NOTE, required=False
    )

    class Meta:
        model = Incident
        fields = ("title", "severity", "status", "summary", "alerts", "postmortem")


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    form = IncidentForm
    list_display = (
        "title",
        "severity",
        "status",
        "source",
        "opened_by_name",
        "opened_at",
        "resolved_at",
    )
    list_filter = ("severity", "status", "source")
    search_fields = ("title", "summary", "postmortem")
    readonly_fields = ("source", "opened_by_name", "opened_at", "resolved_at", "request_id")
    inlines = [TimelineInline]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if obj is None:
            return ("title", "severity", "summary", "alerts")
        return (
            "title",
            "severity",
            "status",
            "summary",
            "alerts",
            "postmortem",
            "note",
            "note_kind",
            *self.readonly_fields,
        )

    def save_model(self, request: HttpRequest, obj: Incident, form: Any, change: bool) -> None:
        if not change:
            opened = incidents.incident_open(
                title=obj.title,
                severity=obj.severity,
                summary=obj.summary,
                alerts=obj.alerts,
                actor=request_user(request),
                request_id=request_id_of(request),
            )
            obj.pk = opened.pk
            return
        try:
            self._save_change(request, obj, form)
        except TradingOpsError as exc:
            messages.error(request, str(exc))

    def _save_change(self, request: HttpRequest, obj: Incident, form: Any) -> None:
        status = obj.status
        obj.status = Incident.objects.values_list("status", flat=True).get(pk=obj.pk)
        obj.save()
        actor, request_id = request_user(request), request_id_of(request)
        if status != obj.status:
            incidents.incident_status_set(
                incident=obj,
                status=status,
                note=form.cleaned_data.get("note") or "",
                actor=actor,
                request_id=request_id,
            )
        elif form.cleaned_data.get("note"):
            incidents.incident_note_add(
                incident=obj,
                text=form.cleaned_data["note"],
                kind=form.cleaned_data["note_kind"] or TimelineKind.NOTE,
                actor=actor,
                request_id=request_id,
            )


@admin.register(TradingLifecycleEvent)
class TradingLifecycleEventAdmin(ReadOnlyAdmin):
    list_display = (
        "kind",
        "mode",
        "outcome",
        "actor_name",
        "reason",
        "started_at",
        "finished_at",
        "request_id",
    )
    list_filter = ("kind", "mode", "outcome")
    readonly_fields = (
        "kind",
        "mode",
        "outcome",
        "actor_name",
        "reason",
        "request_id",
        "started_at",
        "finished_at",
        "steps",
    )
    fields = readonly_fields


# The beat schedule's admin: django-celery-beat's, with its actions behind the permission
# they really use (the permission matrix test holds them to it).

admin.site.unregister(PeriodicTask)


@admin.register(PeriodicTask)
class GuardedPeriodicTaskAdmin(PeriodicTaskAdmin):
    """Enabling, disabling and running tasks needs change_periodictask, not just view."""

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        if self.has_change_permission(request):
            return actions
        names = ("enable_tasks", "disable_tasks", "toggle_tasks", "run_tasks")
        return {k: v for k, v in actions.items() if k not in names}
