from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from common.exceptions import ValidationFailed
from common.models import ActionRecord, AppendOnlyModel, BaseModel
from common.numeric import ColumnSpec, column_spec
from marketdata.choices import Timeframe
from marketdata.models import Instrument
from models_registry.choices import (
    Alias,
    Direction,
    DriftStatus,
    PromotionAction,
    TrainingStatus,
)


class ImmutableModel(models.Model):
    """A record that is written once: saving an existing row is refused."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValidationFailed(f"{type(self).__name__} {self.pk} is immutable")
        super().save(*args, **kwargs)


class RegisteredModel(BaseModel):
    """A named model that strategies trade with; its versions compete to be champion."""

    name = models.SlugField(max_length=64, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class FeatureSet(ImmutableModel):
    """A versioned feature definition: the features with their parameters and a code hash.

    A (name, version) is registered once; if the code behind a known version changes, the
    registry refuses it until the version is bumped.
    """

    name = models.SlugField(max_length=64)
    version = models.PositiveIntegerField()
    features = models.JSONField()
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="feature_set_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class DatasetSnapshot(ImmutableModel):
    """An immutable training dataset: what went in, where it lies, and the hash of its content.

    The Parquet file sits in the content-addressed artifact store; the sha256 is over the
    canonical content, so the same bars and features always give the same hash.
    """

    feature_set = models.ForeignKey(FeatureSet, on_delete=models.PROTECT, related_name="datasets")
    symbols = models.JSONField()
    timeframe = models.CharField(max_length=4, choices=Timeframe)
    start = models.DateTimeField()
    end = models.DateTimeField()
    row_count = models.PositiveIntegerField()
    storage_path = models.CharField(max_length=512)
    file_sha256 = models.CharField(max_length=64)
    content_sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["feature_set", "content_sha256"], name="dataset_snapshot_unique_content"
            ),
        ]

    def __str__(self) -> str:
        return f"dataset {self.content_sha256[:12]} ({self.row_count} rows)"


class TrainingRun(BaseModel):
    """One training attempt with everything needed to reproduce and judge it.

    Written when training starts (status running) and completed with metrics and the new
    version, or with the error that stopped it.
    """

    registered_model = models.ForeignKey(
        RegisteredModel, on_delete=models.PROTECT, related_name="training_runs"
    )
    family = models.CharField(max_length=64)
    hyperparameters = models.JSONField(default=dict)
    seed = models.IntegerField(default=0)
    dataset_snapshot = models.ForeignKey(
        DatasetSnapshot,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="training_runs",
    )
    feature_set = models.ForeignKey(
        FeatureSet, null=True, blank=True, on_delete=models.PROTECT, related_name="training_runs"
    )
    code_version = models.CharField(max_length=64)
    library_versions = models.JSONField(default=dict)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=TrainingStatus, default=TrainingStatus.RUNNING, db_index=True
    )
    error = models.TextField(blank=True)
    metrics = models.JSONField(default=dict)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    triggered_by_name = models.CharField(max_length=150, default="system")
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"run {self.pk} of {self.registered_model_id} ({self.status})"


class ModelVersion(BaseModel):
    """One trained artifact of a registered model, with the data and metrics it came from.

    Which version trades is not stored here but in ``ModelAlias`` (champion, challenger,
    shadow); ``ever_champion`` protects a version from retention forever.
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
    training_run = models.OneToOneField(
        TrainingRun,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="model_version",
    )
    ever_champion = models.BooleanField(default=False)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["registered_model", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["registered_model", "version"], name="model_version_unique"
            ),
        ]
        permissions = [
            ("approve_promotion", "Can approve a model version for promotion"),
            ("promote_model", "Can promote and roll back model versions"),
        ]

    # Everything else is the version's immutable record: what was trained, on what, scoring how.
    MUTABLE_FIELDS = frozenset({"ever_champion", "archived_at", "updated_at"})

    def __str__(self) -> str:
        return f"{self.registered_model.name} v{self.version}"

    @property
    def is_champion(self) -> bool:
        """Whether the version holds its model's champion alias now (read afresh)."""
        return self.aliases.filter(alias=Alias.CHAMPION).exists()

    def save(self, *args: Any, **kwargs: Any) -> None:
        update_fields = kwargs.get("update_fields")
        if not self._state.adding and not (
            update_fields is not None and set(update_fields) <= self.MUTABLE_FIELDS
        ):
            raise ValidationFailed(
                f"{self} is immutable; only {sorted(self.MUTABLE_FIELDS)} may change"
            )
        super().save(*args, **kwargs)


class ModelAlias(models.Model):
    """Which version plays which role for a model; one version per (model, alias).

    Strategies trade their model's champion, so moving this row is what promotion and
    rollback do; every worker reads it afresh each cycle.
    """

    registered_model = models.ForeignKey(
        RegisteredModel, on_delete=models.PROTECT, related_name="aliases"
    )
    alias = models.CharField(max_length=16, choices=Alias)
    model_version = models.ForeignKey(
        ModelVersion, on_delete=models.PROTECT, related_name="aliases"
    )
    assigned_at = models.DateTimeField()

    class Meta:
        ordering = ["registered_model", "alias"]
        verbose_name_plural = "model aliases"
        constraints = [
            models.UniqueConstraint(
                fields=["registered_model", "alias"], name="model_alias_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.registered_model_id}@{self.alias}"


class PromotionApproval(AppendOnlyModel):
    """A permitted person's sign-off that a version may become champion (four eyes)."""

    model_version = models.ForeignKey(
        ModelVersion, on_delete=models.PROTECT, related_name="approvals"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    approved_by_name = models.CharField(max_length=150)
    reason = models.TextField()
    request_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["model_version", "approved_by"], name="promotion_approval_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model_version_id} approved by {self.approved_by_name}"


class PromotionEvent(ActionRecord, AppendOnlyModel):
    """Immutable record of every alias change and blocked promotion: who, why, which request.

    ``gates`` holds each gate's result as judged at that moment.
    """

    registered_model = models.ForeignKey(
        RegisteredModel, on_delete=models.PROTECT, related_name="promotion_events"
    )
    action = models.CharField(max_length=16, choices=PromotionAction)
    alias = models.CharField(max_length=16, choices=Alias, blank=True)
    model_version = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    previous_version = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    gates = models.JSONField(default=list)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="promotion_event_has_reason")
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.model_version_id} by {self.actor_name}"


class DriftReport(models.Model):
    """Recent live features and predictions of a model version against its training data."""

    registered_model = models.ForeignKey(
        RegisteredModel, on_delete=models.PROTECT, related_name="drift_reports"
    )
    model_version = models.ForeignKey(
        ModelVersion, on_delete=models.PROTECT, related_name="drift_reports"
    )
    status = models.CharField(max_length=8, choices=DriftStatus, db_index=True)
    drift_share = models.FloatField(null=True, blank=True)
    reference_rows = models.PositiveIntegerField(default=0)
    current_rows = models.PositiveIntegerField(default=0)
    features = models.JSONField(default=list)
    confidence = models.JSONField(default=dict)
    live_hit_rate = models.FloatField(null=True, blank=True)
    holdout_hit_rate = models.FloatField(null=True, blank=True)
    live_signals = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"drift {self.status} of {self.model_version_id} at {self.created_at:%Y-%m-%d %H:%M}"


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
    # Shadow signals are recorded and scored like the champion's but never traded.
    shadow = models.BooleanField(default=False, db_index=True)
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


def version_number_spec(label: str) -> ColumnSpec:
    """A version number as ModelVersion.version holds it, from 1 (0 would read as "no
    version"): the API's to_version and the commands' --model-version and --to."""
    spec = column_spec(ModelVersion, "version", unit="(a version number)")
    return replace(spec, label=label, minimum=Decimal(1))


def training_seed_spec(label: str) -> ColumnSpec:
    """A training seed as TrainingRun.seed holds it; not negative, since scikit-learn's
    random_state refuses a negative seed only after the run has started."""
    spec = column_spec(TrainingRun, "seed", unit="(a random seed)")
    return replace(spec, label=label, minimum=Decimal(0))
