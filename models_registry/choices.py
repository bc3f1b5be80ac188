from django.db import models


class Direction(models.TextChoices):
    UP = "up", "Up"
    DOWN = "down", "Down"


class TrainingStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class Alias(models.TextChoices):
    """Roles a version plays for its model: only the champion trades."""

    CHAMPION = "champion", "Champion"
    CHALLENGER = "challenger", "Challenger"
    SHADOW = "shadow", "Shadow"


class PromotionAction(models.TextChoices):
    BOOTSTRAP = "bootstrap", "First champion of a new model"
    PROMOTE = "promote", "Promote to champion"
    BLOCKED = "blocked", "Promotion blocked by gates"
    ROLLBACK = "rollback", "Roll back champion"
    ASSIGN = "assign", "Assign challenger or shadow"
    CLEAR = "clear", "Clear an alias"
    APPROVE = "approve", "Approve for promotion"


class DriftStatus(models.TextChoices):
    OK = "ok", "No drift"
    WARN = "warn", "Warning"
    DRIFT = "drift", "Drift"
    UNKNOWN = "unknown", "Not enough data"
