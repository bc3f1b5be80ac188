"""The request ID of the running request or Celery task, readable by every app.

django-structlog binds it (its middleware for requests, its Celery receivers for tasks); it
lives here rather than in ``tradingops`` so apps read it without importing the wiring.
"""

from __future__ import annotations

import structlog


def current_request_id() -> str:
    """The request ID bound by django-structlog for this request or Celery task, or ''."""
    return str(structlog.contextvars.get_contextvars().get("request_id", "") or "")


def request_id_of(request: object) -> str:
    """The ID the request-ID middleware gave ``request`` (a Django request, or DRF's, which
    reads through to it), or '' outside the middleware (tests building requests by hand)."""
    return str(getattr(request, "request_id", "") or "")
