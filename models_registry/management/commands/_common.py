"""Shared parsing for the model registry's commands: strategy → model, who acts."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from common.actors import ActorRequirement
from common.numeric import column_argument
from models_registry.models import ModelVersion, RegisteredModel, version_number_spec
from models_registry.selectors import model_version_by_number, registered_model_for_strategy

# Training, promoting, aliases and rollback: what the API lets the ml_engineer role do.
# Without a person's token the svc-models account acts; the gates still want a person's
# approval before any promotion.
MODEL_WORK = ActorRequirement(
    permissions=("models_registry.promote_model",), service_account="svc-models"
)


def version_argument(option: str) -> Any:
    """argparse type for a version number option: 0, -1, 10**30 or "1.5" is a usage error
    naming the option (exit 2), never a lookup that fails with a traceback."""
    return column_argument(version_number_spec(option))


def add_reason(parser: CommandParser) -> None:
    parser.add_argument("--reason", default="", help="why; recorded with the change")


def model_for(strategy: str) -> RegisteredModel:
    return registered_model_for_strategy(name=strategy)


def version_of(strategy: str, number: int) -> ModelVersion:
    return model_version_by_number(registered_model=model_for(strategy), version=number)
