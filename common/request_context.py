"""Who and which request: the authenticated user behind an admin or API request, and the
request ID of the running request or Celery task, readable by every app.

django-structlog binds the request ID (its middleware for requests, its Celery receivers for
tasks); it lives here rather than in ``tradingops`` so apps read it without importing the
wiring.
"""

from __future__ import annotations

import structlog
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from rest_framework.request import Request


def current_request_id() -> str:
    """The request ID bound by django-structlog for this request or Celery task, or ''."""
    return str(structlog.contextvars.get_contextvars().get("request_id", "") or "")


def request_id_of(request: object) -> str:
    """The ID the request-ID middleware gave ``request`` (a Django request, or DRF's, which
    reads through to it), or '' outside the middleware (tests building requests by hand)."""
    return str(getattr(request, "request_id", "") or "")


def request_user(request: HttpRequest | Request) -> User:
    """The signed-in user acting through ``request``, as the services' ``actor``.

    Admin pages and the API's command views let only signed-in staff and token holders
    through, so an anonymous user here means a view lost its permission check: refuse (403)
    rather than record an action by nobody."""
    user = request.user
    if isinstance(user, User) and user.is_authenticated:
        return user
    raise PermissionDenied("Sign in to act.")
