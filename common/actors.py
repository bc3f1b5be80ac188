"""Who acts outside a request: service accounts, and commands that prove who a person is.

NetBox's change log silently records no actor for changes made outside a request; here every
task and command runs as its own inactive service account (``celery:<task name>``,
``command:<command name>``), set as django-auditlog's actor and as the actor the audit chain
names, so compliance sees which job made a change.

A command that records a person as the actor of a privileged action (``ActorCommand``) never
takes a username on trust: the person presents their API token, checked like the API checks
it (the access app registers the check, since common imports no app); without one the command
acts as a named ``svc-<purpose>`` account with only the permissions it needs. Four-eyes
approvals need a person (``person_require``). The trust model is in docs/security.md.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import structlog
from auditlog.context import set_actor
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from common.exceptions import PermissionRefused, TradingOpsError

_service_actor: ContextVar[User | None] = ContextVar("service_actor", default=None)
# Usernames no person may hold: the accounts tasks and commands act as.
SERVICE_ACCOUNT_PREFIXES = ("svc-", "celery:", "command:")
TOKEN_VARIABLE = "TRADINGOPS_API_TOKEN"  # noqa: S105 - the variable's name, not a secret
OTP_VARIABLE = "TRADINGOPS_OTP_CODE"


def actor_name(actor: User | None, default: str = "system") -> str:
    """The name an action record keeps beside its actor: the username, or ``default`` when
    no account acted (an automatic trip, a confirmation, an alert)."""
    return actor.get_username() if actor is not None else default


def service_account(name: str) -> User:
    """The inactive account named ``name`` (created on first use; it can never log in)."""
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=name[:150], defaults={"is_active": False}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


@contextmanager
def acting_as(name: str) -> Iterator[User]:
    """Run the block as the service account ``name`` for auditlog and the audit chain."""
    user = service_account(name)
    token = _service_actor.set(user)
    try:
        with set_actor(user):
            yield user
    finally:
        _service_actor.reset(token)


def current_service_actor() -> User | None:
    """The service account of the running task or command, or None inside a request."""
    return _service_actor.get()


def is_service_account(user: User) -> bool:
    """True for an account a job acts as: no person stands behind its actions."""
    return user.get_username().startswith(SERVICE_ACCOUNT_PREFIXES)


def person_require(actor: User | None, action: str) -> None:
    """Refuse ``action`` (a four-eyes request or approval) unless a person takes it: the
    second pair of eyes must belong to somebody, and so must the first."""
    if actor is not None and not is_service_account(actor):
        return
    who = actor.get_username() if actor is not None else "the system"
    raise PermissionRefused(
        f"{action} needs a person, and {who} is a service account. From a command, prove who "
        f"you are with your API token ({TOKEN_VARIABLE} or --token-file); see docs/security.md"
    )


class AuditedCommand(BaseCommand):
    """A management command whose changes are recorded as made by ``command:<name>``."""

    def execute(self, *args: Any, **options: Any) -> str | None:
        name = type(self).__module__.rsplit(".", 1)[-1]
        with acting_as(f"command:{name}"):
            return super().execute(*args, **options)


@dataclass(frozen=True)
class ActorRequirement:
    """What a command's actor must hold: every permission in ``permissions`` (the ones the
    API checks for the same action), a verified second factor where the API asks for one,
    and ``service_account``, the ``svc-<purpose>`` account acting when no token is presented
    ("" when only a person may act, as for approvals)."""

    permissions: tuple[str, ...] = ()
    second_factor: bool = False
    service_account: str = ""


@dataclass(frozen=True)
class CommandActor:
    """Who a command acts as, how that was established, and the request ID of the run."""

    user: User
    authenticated_by: str
    request_id: str

    @property
    def name(self) -> str:
        return self.user.get_username()


@dataclass(frozen=True)
class CommandCredentials:
    """What the shell presented: the token secret, the TOTP code and the claimed username."""

    secret: str
    otp_code: str
    claimed: str


# Returns the acting user and how it was established ("API token abcd1234…", ...).
CommandActorResolver = Callable[[CommandCredentials, ActorRequirement], tuple[User, str]]
_resolvers: list[CommandActorResolver] = []


def command_actor_resolver_register(resolver: CommandActorResolver) -> None:
    """Install the check every ActorCommand uses (the access app's API-token authentication)."""
    _resolvers[:] = [resolver]


def _credentials(options: dict[str, Any]) -> CommandCredentials:
    secret = os.environ.get(TOKEN_VARIABLE, "")
    if options.get("token_file"):
        try:
            with open(options["token_file"], encoding="utf-8") as handle:
                secret = handle.read()
        except OSError as exc:
            raise CommandError(f"--token-file: {exc}") from exc
    otp_code = options.get("otp_code") or os.environ.get(OTP_VARIABLE, "")
    return CommandCredentials(
        secret=secret.strip(), otp_code=otp_code.strip(), claimed=options.get("actor") or ""
    )


class ActorCommand(BaseCommand):
    """A management command that records who acted, proven as the API would prove it.

    Set ``actor_requirement`` (or override ``actor_requirement_for`` when it depends on the
    options); ``handle`` then finds the actor in ``self.actor`` and passes ``self.actor.user``
    and ``self.actor.request_id`` to its service. The run is audited as that user.
    """

    actor_requirement = ActorRequirement()
    actor: CommandActor

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        who = parser.add_argument_group(
            "who acts",
            f"A person presents their API token ({TOKEN_VARIABLE} or --token-file) and, where "
            f"the API asks for one, a TOTP code ({OTP_VARIABLE} or --otp-code); without a "
            "token the command acts as its service account. See docs/security.md.",
        )
        who.add_argument("--token-file", help="file holding your API token (instead of env)")
        who.add_argument("--otp-code", default="", help="a current code of your TOTP device")
        who.add_argument(
            "--actor", default="", help="check only: refused unless the token belongs to this user"
        )
        who.add_argument("--request-id", default="", help="defaults to a new random id")
        return parser

    def actor_requirement_for(self, options: dict[str, Any]) -> ActorRequirement:
        return self.actor_requirement

    def execute(self, *args: Any, **options: Any) -> str | None:
        if not _resolvers:
            raise CommandError("No command authentication is installed (access app)")
        requirement = self.actor_requirement_for(options)
        try:
            user, how = _resolvers[0](_credentials(options), requirement)
        except TradingOpsError as exc:
            raise CommandError(str(exc)) from exc
        request_id = options.get("request_id") or uuid.uuid4().hex
        self.actor = CommandActor(user=user, authenticated_by=how, request_id=request_id)
        structlog.contextvars.bind_contextvars(request_id=request_id)
        token = _service_actor.set(user)
        try:
            with set_actor(user):
                return super().execute(*args, **options)
        finally:
            _service_actor.reset(token)
            structlog.contextvars.unbind_contextvars("request_id")
