"""The API's one permission check for actions: a view names the permissions that allow it."""

from __future__ import annotations

from rest_framework import permissions
from rest_framework.request import Request
from rest_framework.views import APIView


class HoldsAnyPermission(permissions.BasePermission):
    """Refuse with 403, before the input is read, unless the user holds one of the view's
    ``required_permissions`` (a view attribute, or an ``@action`` argument). The service
    checks again, with its four-eyes rules, for the admin and command callers too."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        required: tuple[str, ...] = view.required_permissions  # type: ignore[attr-defined]
        if any(request.user.has_perm(perm) for perm in required):
            return True
        self.message = f"You need the {' or '.join(required)} permission."
        return False
