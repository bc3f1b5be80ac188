"""DRF authentication by per-user API token: ``Authorization: Bearer <secret>``."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from rest_framework import authentication, exceptions
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request

from access.models import ApiToken, ApiTokenScope
from access.services import api_token_authenticate


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """Authenticates the token's user. A read-only token is refused (403) on any unsafe
    method here, so no view's own permission classes can forget the scope."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[object, ApiToken] | None:
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None  # not ours: let session authentication try
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Use 'Authorization: Bearer <token>'.")
        token = api_token_authenticate(parts[1].decode(errors="replace"))
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked API token.")
        if token.scope == ApiTokenScope.READ and request.method not in SAFE_METHODS:
            raise exceptions.PermissionDenied("This API token is read-only.")
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (with WWW-Authenticate) rather than 403 to a missing login.
        return self.keyword


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """Names the token in the OpenAPI schema as an HTTP bearer scheme."""

    target_class = ApiTokenAuthentication
    name = "apiToken"

    def get_security_definition(self, auto_schema: object) -> dict:
        return build_bearer_security_scheme_object(
            header_name="AUTHORIZATION", token_prefix=ApiTokenAuthentication.keyword
        )
