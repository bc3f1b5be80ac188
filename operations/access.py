"""Access-control services: issue and revoke API tokens, authenticate a presented secret.

Kept apart from operations/services.py (health, scheduler) because these write credentials.
Expiry follows the wall clock, not the project clock: a replay at 12x speed must not age
credentials twelve times faster.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import structlog
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from common.exceptions import NotFound, ValidationFailed
from operations.models import ApiToken, ApiTokenScope

logger = structlog.get_logger(__name__)
# Refresh last_used_at at most this often: one write per token per minute, not per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def api_token_hash(secret: str) -> str:
    """The stored form of a token: sha256 of its 256-bit random secret (no salt needed, the
    secret is not guessable)."""
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_token_issue(
    *,
    user: AbstractBaseUser,
    name: str,
    scope: str = ApiTokenScope.READ,
    days: int | None = None,
    actor: AbstractBaseUser | None = None,
) -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns it with its secret, which is never stored."""
    days = settings.API_TOKEN_DEFAULT_DAYS if days is None else days
    if not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
        raise ValidationFailed(f"A token lives 1 to {settings.API_TOKEN_MAX_DAYS} days")
    if scope not in ApiTokenScope.values:
        raise ValidationFailed(f"Unknown scope {scope!r}: use one of {ApiTokenScope.values}")
    if not name.strip():
        raise ValidationFailed("A token needs a name saying what it is for")
    secret = secrets.token_urlsafe(32)
    now = timezone.now()
    token = ApiToken.objects.create(
        user=user,
        name=name.strip(),
        prefix=secret[:8],
        key_hash=api_token_hash(secret),
        scope=scope,
        created_at=now,
        created_by=actor,
        expires_at=now + timedelta(days=days),
    )
    logger.info(
        "api_token_issued",
        token_id=token.pk,
        user=user.get_username(),
        scope=scope,
        actor=actor.get_username() if actor else "system",
    )
    return token, secret


@transaction.atomic
def api_token_revoke(
    *, token_id: int, actor: AbstractBaseUser | None, reason: str = ""
) -> ApiToken:
    """Revoke a token for good. Revoking twice keeps the first revocation (idempotent)."""
    token = ApiToken.objects.select_for_update().filter(pk=token_id).first()
    if token is None:
        raise NotFound(f"No API token {token_id}")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.revoked_by = actor
        token.revoke_reason = reason.strip()[:200]
        token.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
        logger.info(
            "api_token_revoked",
            token_id=token.pk,
            user=token.user.get_username(),
            actor=actor.get_username() if actor else "system",
            reason=token.revoke_reason,
        )
    return token


def api_token_authenticate(secret: str) -> ApiToken | None:
    """The active token with this secret, or None (unknown, expired or revoked)."""
    token = ApiToken.objects.select_related("user").filter(key_hash=api_token_hash(secret)).first()
    now = timezone.now()
    if token is None or not token.is_active(now) or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
