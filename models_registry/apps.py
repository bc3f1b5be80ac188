from django.apps import AppConfig


class ModelsRegistryConfig(AppConfig):
    name = "models_registry"
    verbose_name = "2. Models and signals"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from audit.sources import audit_source_register
        from models_registry.audit_feed import promotion_event_entry
        from models_registry.models import (
            ModelAlias,
            ModelVersion,
            PromotionEvent,
            RegisteredModel,
        )

        auditlog.register(RegisteredModel)
        auditlog.register(ModelVersion, include_fields=["ever_champion", "archived_at"])
        auditlog.register(ModelAlias)
        # Every promotion, approval and rollback is chained in the audit trail.
        audit_source_register(PromotionEvent, promotion_event_entry)
