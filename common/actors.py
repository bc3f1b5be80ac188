"""Who acts when no person does: service accounts for Celery tasks and management commands.

NetBox's change log silently records no actor for changes made outside a request; here every
task and command runs as its own inactive service account (``celery:<task name>``,
``command:<command name>``), set as django-auditlog's actor and as the actor the audit chain
names, so compliance sees which job made a change.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from auditlog.context import set_actor
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.management.base import BaseCommand

_service_actor: ContextVar[AbstractBaseUser | None] = ContextVar("service_actor", default=None)


def service_account(name: str) -> AbstractBaseUser:
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
def acting_as(name: str) -> Iterator[AbstractBaseUser]:
    """Run the block as the service account ``name`` for auditlog and the audit chain."""
    user = service_account(name)
    token = _service_actor.set(user)
    try:
        with set_actor(user):
            yield user
    finally:
        _service_actor.reset(token)


def current_service_actor() -> AbstractBaseUser | None:
    """The service account of the running task or command, or None inside a request."""
    return _service_actor.get()


class AuditedCommand(BaseCommand):
    """A management command whose changes are recorded as made by ``command:<name>``."""

    def execute(self, *args: Any, **options: Any) -> str | None:
        name = type(self).__module__.rsplit(".", 1)[-1]
        with acting_as(f"command:{name}"):
            return super().execute(*args, **options)
