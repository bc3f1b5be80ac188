from rest_framework import serializers

from models_registry.models import ModelVersion, Signal


class ModelVersionSerializer(serializers.ModelSerializer):
    model = serializers.CharField(source="registered_model.name", read_only=True)

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
            "is_champion",
            "created_at",
        ]


class SignalSerializer(serializers.ModelSerializer):
    symbol = serializers.CharField(source="instrument.symbol", read_only=True)
    model_version = serializers.StringRelatedField()

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
            "created_at",
        ]
