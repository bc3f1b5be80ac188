from __future__ import annotations

from django.db import models
from django.db.models import Q

from common.models import BaseModel
from marketdata.choices import Timeframe
from marketdata.models import Instrument
from models_registry.choices import Direction


class RegisteredModel(BaseModel):
    """A named model that strategies trade with; its versions compete to be champion."""

    name = models.SlugField(max_length=64, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ModelVersion(BaseModel):
    """One trained artifact of a registered model, with the data and metrics it came from.

    At most one version per model is champion (a partial unique constraint), and only the
    champion produces the signals that strategies trade.
    """

    registered_model = models.ForeignKey(
        RegisteredModel, on_delete=models.PROTECT, related_name="versions"
    )
    version = models.PositiveIntegerField()
    algorithm = models.CharField(max_length=64)
    hyperparameters = models.JSONField(default=dict)
    feature_names = models.JSONField(default=list)
    timeframe = models.CharField(max_length=4, choices=Timeframe)
    training_symbols = models.JSONField(default=list)
    train_start = models.DateTimeField()
    train_end = models.DateTimeField()
    holdout_start = models.DateTimeField()
    holdout_end = models.DateTimeField()
    train_rows = models.PositiveIntegerField()
    holdout_rows = models.PositiveIntegerField()
    metrics = models.JSONField(default=dict)
    artifact_path = models.CharField(max_length=512)
    artifact_sha256 = models.CharField(max_length=64)
    is_champion = models.BooleanField(default=False)

    class Meta:
        ordering = ["registered_model", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["registered_model", "version"], name="model_version_unique"
            ),
            models.UniqueConstraint(
                fields=["registered_model"],
                condition=Q(is_champion=True),
                name="model_version_one_champion",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.registered_model.name} v{self.version}"


class Signal(models.Model):
    """A model's call on the next bar of an instrument, made after ``bar_timestamp`` closed.

    Unique per (model version, instrument, timeframe, bar), so re-running prediction for the
    same bar stores nothing new.
    """

    model_version = models.ForeignKey(
        ModelVersion, on_delete=models.PROTECT, related_name="signals"
    )
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="signals")
    timeframe = models.CharField(max_length=4, choices=Timeframe)
    bar_timestamp = models.DateTimeField()
    direction = models.CharField(max_length=4, choices=Direction)
    probability_up = models.FloatField()
    confidence = models.FloatField()
    reference_price = models.DecimalField(max_digits=20, decimal_places=6)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-bar_timestamp", "instrument"]
        constraints = [
            models.UniqueConstraint(
                fields=["model_version", "instrument", "timeframe", "bar_timestamp"],
                name="signal_unique_per_bar",
            ),
            models.CheckConstraint(
                condition=Q(confidence__gte=0.5, confidence__lte=1.0),
                name="signal_confidence_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id} {self.direction} @ {self.bar_timestamp:%Y-%m-%d %H:%M}"
