"""Shared parsing for the model registry's commands: strategy → model, actor by username."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.management.base import CommandError, CommandParser

from models_registry.models import ModelVersion, RegisteredModel
from models_registry.selectors import model_version_by_number, registered_model_for_strategy


def add_actor(parser: CommandParser) -> None:
    parser.add_argument("--actor", help="username recorded as the actor (default: system)")
    parser.add_argument("--reason", default="", help="why; recorded with the change")


def actor(username: str | None) -> AbstractBaseUser | None:
    if not username:
        return None
    try:
        return get_user_model().objects.get(username=username)
    except get_user_model().DoesNotExist:
        raise CommandError(f"No user {username!r}") from None


def model_for(strategy: str) -> RegisteredModel:
    return registered_model_for_strategy(name=strategy)


def version_of(strategy: str, number: int) -> ModelVersion:
    return model_version_by_number(registered_model=model_for(strategy), version=number)
