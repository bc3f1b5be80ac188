"""API wiring shared by every app: domain errors become clear 4xx responses."""

from __future__ import annotations

from typing import Any

from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from common.exceptions import NotFound, PermissionRefused, TradingOpsError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, TradingOpsError):
        code = status.HTTP_400_BAD_REQUEST
        if isinstance(exc, NotFound):
            code = status.HTTP_404_NOT_FOUND
        elif isinstance(exc, PermissionRefused):
            code = status.HTTP_403_FORBIDDEN
        return Response({"detail": str(exc)}, status=code)
    return drf_exception_handler(exc, context)
