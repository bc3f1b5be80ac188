from __future__ import annotations

from common.exceptions import NotFound
from models_registry.models import ModelVersion, RegisteredModel


def registered_model_get(*, name: str) -> RegisteredModel:
    try:
        return RegisteredModel.objects.get(name=name)
    except RegisteredModel.DoesNotExist:
        raise NotFound(f"Unknown model {name!r}") from None


def model_version_champion(*, registered_model_id: int) -> ModelVersion | None:
    return (
        ModelVersion.objects.select_related("registered_model")
        .filter(registered_model_id=registered_model_id, is_champion=True)
        .first()
    )


def champion_versions() -> dict[str, int]:
    """The champion version number of each registered model that has one."""
    return dict(
        ModelVersion.objects.filter(is_champion=True).values_list(
            "registered_model__name", "version"
        )
    )
