"""How a management command knows who acts (docs/security.md, "Management commands").

A person presents their API token (``TRADINGOPS_API_TOKEN`` or ``--token-file``): it is checked
by the same ``api_token_authenticate`` as ``ApiTokenAuthentication`` (unknown, expired and
revoked tokens and deactivated users are refused, a read-only token may not act), then the user
must hold the permissions the API checks for that action, and give a current TOTP code where the
API asks for ``X-OTP-Code``. Without a token the command acts as its ``svc-<purpose>`` service
account, whose only permissions come from its own group; four-eyes approvals refuse it.
"""

from __future__ import annotations

import getpass

import structlog
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, User
from django.db import transaction

from access.models import ApiTokenScope
from access.roles import SERVICE_ACCOUNTS
from access.selectors import permissions_named
from access.services import api_token_authenticate, group_permissions_converge
from common.actors import (
    OTP_VARIABLE,
    TOKEN_VARIABLE,
    ActorRequirement,
    CommandCredentials,
    command_actor_resolver_register,
)
from common.exceptions import PermissionRefused
from common.second_factor import totp_code_matches

logger = structlog.get_logger(__name__)


@transaction.atomic
def service_account_ensure(name: str) -> User:
    """The service account ``name`` (created on first use, no usable password), in its own
    group holding exactly its permissions (``SERVICE_ACCOUNTS``). Idempotent; a permission,
    group or staff flag an admin added is taken back. A deactivated account stays deactivated:
    that switches the command's unauthenticated path off."""
    wanted = SERVICE_ACCOUNTS[name]
    unknown = wanted - permissions_named(wanted).keys()
    if unknown:
        raise PermissionRefused(f"Unknown permission(s) {sorted(unknown)}: run manage.py migrate")
    user, created = get_user_model().objects.get_or_create(username=name)
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    if user.is_superuser or user.is_staff or user.user_permissions.exists():
        user.is_superuser = user.is_staff = False
        user.save(update_fields=["is_superuser", "is_staff"])
        user.user_permissions.clear()
    group_permissions_converge(name=name, wanted=wanted, prune=True)
    group = Group.objects.get(name=name)
    if list(user.groups.values_list("pk", flat=True)) != [group.pk]:
        user.groups.set([group])
    return user


def _require_permissions(user: User, names: tuple[str, ...]) -> None:
    missing = [name for name in names if not user.has_perm(name)]
    if missing:
        raise PermissionRefused(
            f"{user.get_username()} lacks the {', '.join(missing)} permission(s) this needs"
        )


def _person(credentials: CommandCredentials, requirement: ActorRequirement) -> tuple[User, str]:
    token = api_token_authenticate(credentials.secret)
    if token is None:
        raise PermissionRefused("Invalid, expired or revoked API token.")
    if token.scope == ApiTokenScope.READ:
        raise PermissionRefused("This API token is read-only.")
    user = token.user
    if credentials.claimed and credentials.claimed != user.get_username():
        raise PermissionRefused(
            f"--actor {credentials.claimed} does not match the token's user {user.get_username()}"
        )
    _require_permissions(user, requirement.permissions)
    if (
        requirement.second_factor
        and settings.SECURITY_REQUIRE_2FA
        and not totp_code_matches(user, credentials.otp_code)
    ):
        raise PermissionRefused(
            "This action needs a verified second factor: give a current code of your TOTP "
            f"device in {OTP_VARIABLE} or --otp-code"
        )
    return user, f"API token {token.prefix}…"


def _service(credentials: CommandCredentials, requirement: ActorRequirement) -> tuple[User, str]:
    if credentials.claimed:
        raise PermissionRefused(
            f"--actor {credentials.claimed}: a command acts as a person only with that person's "
            f"API token ({TOKEN_VARIABLE} or --token-file)"
        )
    if not requirement.service_account:
        raise PermissionRefused(
            f"This action needs a person: present your API token ({TOKEN_VARIABLE} or "
            "--token-file); see docs/security.md"
        )
    user = service_account_ensure(requirement.service_account)
    if not user.is_active:
        raise PermissionRefused(
            f"{user.get_username()} is deactivated: present your API token ({TOKEN_VARIABLE})"
        )
    _require_permissions(user, requirement.permissions)
    return user, "service account"


def command_actor_authenticate(
    credentials: CommandCredentials, requirement: ActorRequirement
) -> tuple[User, str]:
    """The user a command acts as and how that was established, or PermissionRefused."""
    resolve = _person if credentials.secret else _service
    try:
        user, how = resolve(credentials, requirement)
    except PermissionRefused as refused:
        logger.warning("command_actor_refused", reason=str(refused), os_user=_os_user())
        raise
    logger.info(
        "command_actor_authenticated",
        actor=user.get_username(),
        authenticated_by=how,
        os_user=_os_user(),
    )
    return user, how


def _os_user() -> str:
    try:
        return getpass.getuser()
    except OSError:  # no login name in some containers
        return ""


def install() -> None:
    command_actor_resolver_register(command_actor_authenticate)
