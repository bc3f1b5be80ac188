"""Request ID on every response, so an operator can quote it and compliance can find it."""

from __future__ import annotations

from collections.abc import Callable

import structlog
from django.http import HttpRequest, HttpResponse


def current_request_id() -> str:
    """The request ID bound by django-structlog for this request or Celery task, or ''."""
    return str(structlog.contextvars.get_contextvars().get("request_id", "") or "")


def audit_correlation_id() -> str | None:
    """django-auditlog's correlation id: the current request ID, None outside a request."""
    return current_request_id() or None


def audit_mask(value: str) -> str:
    """What django-auditlog stores for a secret-like field: nothing of the value itself
    (its default mask keeps half the characters)."""
    return "********"


class RequestIdHeaderMiddleware:
    """Echo django-structlog's request ID as ``X-Request-ID`` and keep it on the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.request_id = current_request_id()  # type: ignore[attr-defined]
        response = self.get_response(request)
        if request.request_id:  # type: ignore[attr-defined]
            response["X-Request-ID"] = request.request_id  # type: ignore[attr-defined]
        return response
