"""A URLconf with a view that fails while holding a secret, for the error page tests."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import path


def failing_view(request: HttpRequest) -> HttpResponse:
    api_key = settings.POLYGON_API_KEY  # a local the debug page would list
    raise RuntimeError(f"provider refused the call ({len(api_key)} chars)")


urlpatterns = [path("fail/", failing_view)]
