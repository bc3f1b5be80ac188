"""The beat schedule's admin: django-celery-beat's, with its actions behind the permission
they really use (the permission matrix test holds them to it)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django_celery_beat.admin import PeriodicTaskAdmin
from django_celery_beat.models import PeriodicTask

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
