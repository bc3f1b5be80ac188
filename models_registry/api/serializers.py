from __future__ import annotations

from typing import Any

from rest_framework import serializers

from common.numeric import ColumnIntegerField
from models_registry.choices import Alias
from models_registry.models import (
    DatasetSnapshot,
    FeatureSet,
    ModelVersion,
    PromotionApproval,
    Signal,
    TrainingRun,
    version_number_spec,
)


class FeatureSetSerializer(serializers.ModelSerializer):
    class Meta:
        model = FeatureSet
        fields = ["id", "name", "version", "features", "code_hash", "created_at"]


class DatasetSnapshotSerializer(serializers.ModelSerializer):
    feature_set = FeatureSetSerializer(read_only=True)

    class Meta:
        model = DatasetSnapshot
        fields = [
            "id",
            "content_sha256",
            "file_sha256",
            "storage_path",
            "symbols",
            "timeframe",
            "start",
            "end",
            "row_count",
            "feature_set",
            "created_at",
        ]


class TrainingRunSerializer(serializers.ModelSerializer):
    dataset_snapshot = DatasetSnapshotSerializer(read_only=True)

    class Meta:
        model = TrainingRun
        fields = [
            "id",
            "family",
            "hyperparameters",
            "seed",
            "code_version",
            "library_versions",
            "started_at",
            "finished_at",
            "duration_seconds",
            "status",
            "error",
            "metrics",
            "triggered_by_name",
            "dataset_snapshot",
        ]


class ModelVersionSerializer(serializers.ModelSerializer):
    model = serializers.CharField(source="registered_model.name", read_only=True)
    aliases = serializers.SerializerMethodField()
    dataset_sha256 = serializers.CharField(
        source="training_run.dataset_snapshot.content_sha256", read_only=True, default=None
    )

    class Meta:
        model = ModelVersion
        fields = [
            "id",
            "model",
            "version",
            "algorithm",
            "hyperparameters",
            "timeframe",
            "training_symbols",
            "train_start",
            "train_end",
            "holdout_start",
            "holdout_end",
            "train_rows",
            "holdout_rows",
            "metrics",
            "artifact_sha256",
            "aliases",
            "ever_champion",
            "archived_at",
            "training_run",
            "dataset_sha256",
            "created_at",
        ]

    def get_aliases(self, obj: ModelVersion) -> list[str]:
        return sorted(a.alias for a in obj.aliases.all())


class ApprovalSerializer(serializers.ModelSerializer):
    class Meta:
        model = PromotionApproval
        fields = ["approved_by_name", "reason", "request_id", "created_at"]


class ModelVersionDetailSerializer(ModelVersionSerializer):
    """A version with its lineage: version → training run → dataset snapshot → feature set."""

    lineage = TrainingRunSerializer(source="training_run", read_only=True)
    approvals = ApprovalSerializer(many=True, read_only=True)

    class Meta(ModelVersionSerializer.Meta):
        fields = [*ModelVersionSerializer.Meta.fields, "artifact_path", "lineage", "approvals"]


class ModelReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, allow_blank=False, trim_whitespace=True)


class AliasCommandSerializer(ModelReasonSerializer):
    alias = serializers.ChoiceField(choices=[Alias.CHALLENGER, Alias.SHADOW])


VERSION_NUMBER = version_number_spec("to_version")


class RollbackCommandSerializer(ModelReasonSerializer):
    strategy = serializers.CharField(
        max_length=64, help_text="a strategy name, or the registered model's name"
    )
    to_version = ColumnIntegerField(
        VERSION_NUMBER,
        required=False,
        help_text="version number to restore; default the previous",
    )


class GateSerializer(serializers.Serializer):
    name = serializers.CharField()
    passed = serializers.BooleanField()
    value = serializers.JSONField()
    threshold = serializers.JSONField()
    message = serializers.CharField()


class PromotionResultSerializer(serializers.Serializer):
    model_version = ModelVersionSerializer()
    gates = GateSerializer(many=True)


class BlockedSerializer(serializers.Serializer):
    detail = serializers.CharField()
    gates = GateSerializer(many=True)


class _VersionStatus(serializers.Serializer):
    version_id = serializers.IntegerField()
    version = serializers.IntegerField()
    trained_at = serializers.DateTimeField()
    training_run_id = serializers.IntegerField(allow_null=True)
    dataset_sha256 = serializers.CharField(allow_null=True)
    holdout_metrics = serializers.DictField(child=serializers.FloatField(allow_null=True))
    drift = serializers.DictField()
    live = serializers.DictField()
    confidence = serializers.DictField()


class ModelStatusSerializer(serializers.Serializer):
    """Schema only: the status view serialises plain dicts from the selector."""

    model = serializers.CharField()
    strategies = serializers.ListField(child=serializers.CharField())
    champion = _VersionStatus(allow_null=True)
    challenger = _VersionStatus(allow_null=True)
    shadow = _VersionStatus(allow_null=True)


class SignalSerializer(serializers.ModelSerializer):
    symbol = serializers.CharField(source="instrument.symbol", read_only=True)
    model_version: serializers.StringRelatedField[Any] = serializers.StringRelatedField()

    class Meta:
        model = Signal
        fields = [
            "id",
            "symbol",
            "model_version",
            "timeframe",
            "bar_timestamp",
            "direction",
            "probability_up",
            "confidence",
            "reference_price",
            "shadow",
            "created_at",
        ]
