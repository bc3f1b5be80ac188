"""Database backups and restore drills, read-only: the services write them (daily and weekly
tasks, ``manage.py backup_database`` and ``manage.py restore_drill``)."""

from __future__ import annotations

from django.contrib import admin

from common.admin import ReadOnlyAdmin
from operations.models import DatabaseBackup, RestoreDrill


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
