"""Request ID on every response, so an operator can quote it and compliance can find it."""

from __future__ import annotations

from collections.abc import Callable

import structlog
from django.http import HttpRequest, HttpResponse, JsonResponse

from common.request_context import current_request_id

logger = structlog.get_logger(__name__)


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


class ApiJsonErrorsMiddleware:
    """Under ``/api/``, an error is JSON with the request ID, also with ``DEBUG=True``: the
    DRF exception handler covers API views; this covers the rest (an unknown path's 404, a
    plain Django view's exception), where Django would answer with an HTML page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if _is_api(request) and response.status_code >= 400 and _is_html(response):
            return _json_error(response.reason_phrase, response.status_code)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not _is_api(request):
            return None
        logger.exception("api_unexpected_error", path=request.path)
        return _json_error("Internal error; quote the request ID.", 500)


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _is_html(response: HttpResponse) -> bool:
    return response.get("Content-Type", "").startswith("text/html")


def _json_error(detail: str, code: int) -> JsonResponse:
    return JsonResponse({"detail": detail, "request_id": current_request_id()}, status=code)
