"""Access-control services: issue and revoke API tokens, authenticate a presented secret,
and bring groups to the roles table.

Token expiry follows the wall clock, not the project clock: a replay at 12x speed must not age
credentials twelve times faster.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import structlog
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone

from access.models import ApiToken, ApiTokenScope
from access.roles import ROLES
from access.selectors import GroupDrift, group_permissions, permissions_named
from common.exceptions import NotFound, ValidationFailed

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
    user: User,
    name: str,
    scope: str = ApiTokenScope.READ,
    days: int | None = None,
    actor: User | None = None,
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
def api_token_revoke(*, token_id: int, actor: User | None, reason: str = "") -> ApiToken:
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


def group_permissions_converge(
    *,
    name: str,
    wanted: frozenset[str],
    prune: bool,
    using: str = "default",
) -> GroupDrift:
    """Give the group ``name`` (created if missing) every existing permission of ``wanted``;
    with ``prune``, also take away every permission it holds beyond ``wanted``. Returns what
    changed. Idempotent; each change is logged, and django-auditlog records it on the group."""
    group, _ = Group.objects.using(using).get_or_create(name=name)
    held = group_permissions(group)
    missing = permissions_named(wanted - held.keys(), using=using)
    extra = {n: p for n, p in held.items() if n not in wanted} if prune else {}
    if missing:
        group.permissions.add(*missing.values())
        logger.info("group_permissions_added", group=name, permissions=sorted(missing))
    if extra:
        group.permissions.remove(*extra.values())
        logger.warning("group_permissions_removed", group=name, permissions=sorted(extra))
    return GroupDrift(name, frozenset(missing), frozenset(extra))


def role_groups_sync(*, prune: bool = False, using: str = "default") -> list[GroupDrift]:
    """Bring every role's group to the roles table: add what it lacks; with ``prune``, remove
    what the table does not name (docs/security.md says when to). Returns what changed."""
    with transaction.atomic(using=using):
        return [
            group_permissions_converge(name=role, wanted=wanted, prune=prune, using=using)
            for role, wanted in ROLES.items()
        ]
