"""The runbooks as pages: the addresses Prometheus alerts link."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache

from operations.models import Runbook
from operations.runbooks import render_markdown


@never_cache
@staff_member_required
def runbook_index(request: HttpRequest) -> HttpResponse:
    """Every runbook and the alerts that link it."""
    context = {
        **admin.site.each_context(request),
        "title": "Runbooks",
        "runbooks": Runbook.objects.select_related("current_version"),
    }
    return render(request, "operations/runbook_index.html", context)


@never_cache
@staff_member_required
def runbook_page(request: HttpRequest, slug: str) -> HttpResponse:
    """The stable address of a runbook: alerts link ``docs/runbooks/<slug>.md``, served here
    as ``/runbooks/<slug>/`` with its current version rendered."""
    runbook = get_object_or_404(Runbook.objects.select_related("current_version"), slug=slug)
    content = runbook.current_version.content if runbook.current_version else ""
    context = {
        **admin.site.each_context(request),
        "title": runbook.title,
        "runbook": runbook,
        "versions": runbook.versions.all(),
        "body": mark_safe(render_markdown(content)),  # noqa: S308 - reviewed repository content
    }
    return render(request, "operations/runbook.html", context)
