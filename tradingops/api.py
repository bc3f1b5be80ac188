"""API wiring shared by every app: every error is a JSON body, never Django's HTML page.

Domain errors become clear 4xx responses; a value the database refuses (IntegrityError,
DataError, an integer too large for SQLite) a 4xx naming the constraint; anything unexpected a
logged 500. Bodies of these carry the request ID, so an operator can quote it.
"""

from __future__ import annotations

from decimal import InvalidOperation
from typing import Any

import structlog
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from common.exceptions import NotFound, PermissionRefused, TradingOpsError
from common.request_context import current_request_id

logger = structlog.get_logger(__name__)

# Values the database could not hold: the client sent them, so a 400, not a 500.
_REFUSED_VALUES = (DataError, OverflowError, InvalidOperation, DjangoValidationError)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, TradingOpsError):
        return _error(str(exc), _domain_status(exc))
    response = drf_exception_handler(exc, context)
    if response is not None:
        return response
    set_rollback()
    if isinstance(exc, IntegrityError):
        logger.warning("api_integrity_error", error=str(exc))
        return _error(
            f"The database refused this change (it conflicts with a constraint): {exc}",
            status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, _REFUSED_VALUES):
        logger.warning("api_value_refused", error=repr(exc))
        return _error(f"A value cannot be stored: {exc}", status.HTTP_400_BAD_REQUEST)
    logger.exception("api_unexpected_error")
    return _error("Internal error; quote the request ID.", status.HTTP_500_INTERNAL_SERVER_ERROR)


def _domain_status(exc: TradingOpsError) -> int:
    if isinstance(exc, NotFound):
        return status.HTTP_404_NOT_FOUND
    if isinstance(exc, PermissionRefused):
        return status.HTTP_403_FORBIDDEN
    return status.HTTP_400_BAD_REQUEST


def _error(detail: str, code: int) -> Response:
    return Response({"detail": detail, "request_id": current_request_id()}, status=code)
