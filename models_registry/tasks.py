from __future__ import annotations

from celery import shared_task

from models_registry.services import model_version_train


@shared_task(name="models_registry.train_model")
def train_model(model_name: str, promote: bool = False) -> int:
    """On demand: train a new version of ``model_name`` on stored bars; returns its id."""
    return model_version_train(model_name=model_name, promote=promote).pk
