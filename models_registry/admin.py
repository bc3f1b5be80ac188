from django.contrib import admin

from common.admin import ReadOnlyAdmin
from models_registry.models import ModelVersion, RegisteredModel, Signal


@admin.register(RegisteredModel)
class RegisteredModelAdmin(admin.ModelAdmin):
    list_display = ["name", "description", "created_at"]
    search_fields = ["name"]


@admin.register(ModelVersion)
class ModelVersionAdmin(ReadOnlyAdmin):
    list_display = [
        "__str__",
        "algorithm",
        "is_champion",
        "train_rows",
        "holdout_rows",
        "accuracy",
        "created_at",
    ]
    list_filter = ["is_champion", "registered_model", "algorithm"]
    list_select_related = ["registered_model"]
    search_fields = ["registered_model__name", "artifact_sha256"]

    @admin.display(description="hold-out accuracy")
    def accuracy(self, obj: ModelVersion) -> str:
        value = obj.metrics.get("accuracy")
        return f"{value:.3f}" if value is not None else "-"


@admin.register(Signal)
class SignalAdmin(ReadOnlyAdmin):
    list_display = [
        "bar_timestamp",
        "instrument",
        "model_version",
        "direction",
        "confidence",
        "reference_price",
    ]
    list_filter = ["direction", "instrument", "model_version__registered_model"]
    list_select_related = ["instrument", "model_version__registered_model"]
    search_fields = ["instrument__symbol"]
    date_hierarchy = "bar_timestamp"
