from django.apps import AppConfig


class ModelsRegistryConfig(AppConfig):
    name = "models_registry"
    verbose_name = "2. Models and signals"

    def ready(self) -> None:
        # Imported here: this module loads before the app registry is ready for models.
        from auditlog.registry import auditlog

        from models_registry.models import ModelAlias, ModelVersion, RegisteredModel

        auditlog.register(RegisteredModel)
        auditlog.register(ModelVersion, include_fields=["ever_champion", "archived_at"])
        auditlog.register(ModelAlias)
