"""One second-factor check for every privileged action.

Privileged actions (kill switch release, limit raises, promotion approval, user management)
call :func:`second_factor_require` before their service, from admin (SecondFactorAdminMixin)
and from the API (SecondFactorVerified). With SECURITY_REQUIRE_2FA on, the request passes
when its session verified a TOTP device (django-otp's OTPMiddleware sets
``request.user.is_verified()``), or, for API clients, when an ``X-OTP-Code`` header holds a
current code of one of the user's confirmed devices.
"""

from __future__ import annotations

from typing import Any

import structlog
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django_otp import match_token, user_has_device
from rest_framework import permissions
from rest_framework.request import Request
from rest_framework.views import APIView

logger = structlog.get_logger(__name__)
OTP_HEADER = "X-OTP-Code"
REFUSAL = (
    "This action needs a verified second factor: verify your TOTP device at "
    "/admin/otp/verify/ (admin), or send a current code in the X-OTP-Code header (API)."
)


class SecondFactorRequired(PermissionDenied):
    """A staff member tried a privileged action without a verified TOTP device."""


def second_factor_verified(request: HttpRequest | Request) -> bool:
    """True when 2FA is off, or this request proves a second factor (session or header)."""
    if not settings.SECURITY_REQUIRE_2FA:
        return True
    user = request.user
    if not user.is_authenticated:
        return False
    if session_verified(user):
        return True
    return totp_code_matches(user, request.headers.get(OTP_HEADER, ""))


def session_verified(user: object) -> bool:
    """True when this session verified one of the user's TOTP devices (django-otp's
    OTPMiddleware gives the request's user an ``is_verified``)."""
    is_verified = getattr(user, "is_verified", None)
    return is_verified is not None and bool(is_verified())


def totp_code_matches(user: Any, code: str) -> bool:
    """True when ``code`` is a current code of one of the user's confirmed devices (the API's
    X-OTP-Code check; management commands use it for TRADINGOPS_OTP_CODE)."""
    code = code.strip()
    # match_token throttles failures per device (django-otp's ThrottlingMixin).
    return bool(code) and match_token(user, code) is not None


def second_factor_require(request: HttpRequest | Request, action: str) -> None:
    """Refuse (403) a privileged ``action`` without a verified second factor."""
    if second_factor_verified(request):
        return
    user = request.user
    logger.warning(
        "second_factor_refused",
        action=action,
        user=user.get_username() if user.is_authenticated else "",
        has_device=user.is_authenticated and user_has_device(user),
    )
    raise SecondFactorRequired(REFUSAL)


class SecondFactorVerified(permissions.BasePermission):
    """DRF permission for privileged API commands (list it after the role check)."""

    message = REFUSAL

    def has_permission(self, request: Request, view: APIView) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        try:
            second_factor_require(request, f"api:{view.__class__.__name__}")
        except SecondFactorRequired:
            return False
        return True


class SecondFactorAdminMixin(admin.ModelAdmin):
    """Mixed into a ModelAdmin (before it in the bases): the named actions, and (with
    ``second_factor_for_changes``) every add, change and delete POST, need a verified second
    factor."""

    second_factor_actions: frozenset[str] = frozenset()
    second_factor_for_changes: bool = False

    def response_action(
        self, request: HttpRequest, queryset: QuerySet[Any], *args: Any, **kwargs: Any
    ) -> HttpResponse | None:
        action = request.POST.get("action", "")
        if action in self.second_factor_actions:
            second_factor_require(request, f"admin:{self.model._meta.label_lower}:{action}")
        return super().response_action(request, queryset, *args, **kwargs)

    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self._second_factor_for_write(request, "change")
        return super().changeform_view(request, *args, **kwargs)

    def delete_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self._second_factor_for_write(request, "delete")
        return super().delete_view(request, *args, **kwargs)

    def _second_factor_for_write(self, request: HttpRequest, what: str) -> None:
        if self.second_factor_for_changes and request.method == "POST":
            second_factor_require(request, f"admin:{self.model._meta.label_lower}:{what}")
