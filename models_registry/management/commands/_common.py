"""Shared parsing for the model registry's commands: strategy → model, who acts."""

from __future__ import annotations

from django.core.management.base import CommandParser

from common.actors import ActorRequirement
from models_registry.models import ModelVersion, RegisteredModel
from models_registry.selectors import model_version_by_number, registered_model_for_strategy

# Training, promoting, aliases and rollback: what the API lets the ml_engineer role do.
# Without a person's token the svc-models account acts; the gates still want a person's
# approval before any promotion.
MODEL_WORK = ActorRequirement(
    permissions=("models_registry.promote_model",), service_account="svc-models"
)


def add_reason(parser: CommandParser) -> None:
    parser.add_argument("--reason", default="", help="why; recorded with the change")


def model_for(strategy: str) -> RegisteredModel:
    return registered_model_for_strategy(name=strategy)


def version_of(strategy: str, number: int) -> ModelVersion:
    return model_version_by_number(registered_model=model_for(strategy), version=number)
