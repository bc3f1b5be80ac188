"""Retention of model versions: archive old ones, never remove anything that was champion."""

from __future__ import annotations

import structlog
from django.conf import settings
from django.db import transaction
from django.db.models import Q

from common import clock
from models_registry import artifacts
from models_registry.models import ModelVersion, RegisteredModel

logger = structlog.get_logger(__name__)


def _blob_still_needed(version: ModelVersion) -> bool:
    """Content addressing shares blobs: keep one any kept version still points at."""
    return (
        ModelVersion.objects.filter(artifact_path=version.artifact_path)
        .exclude(pk=version.pk)
        .filter(Q(archived_at__isnull=True) | Q(ever_champion=True))
        .exists()
    )


@transaction.atomic
def model_versions_retain(*, keep: int | None = None) -> dict[str, int]:
    """Archive versions beyond the newest ``keep`` per model and free their artifacts.

    Never touched: versions holding an alias, and versions that were ever champion (they
    are archived in name only; their artifact stays so a rollback can always load them).
    """
    keep = settings.MODELS_RETENTION_KEEP_VERSIONS if keep is None else keep
    archived = removed = 0
    for registered in RegisteredModel.objects.all():
        old = registered.versions.filter(aliases__isnull=True, archived_at__isnull=True).exclude(
            pk__in=registered.versions.order_by("-version").values("pk")[:keep]
        )
        for version in old.select_for_update(of=("self",)):
            version.archived_at = clock.now()
            version.save(update_fields=["archived_at", "updated_at"])
            archived += 1
            if not version.ever_champion and not _blob_still_needed(version):
                artifacts.delete(version.artifact_path)
                removed += 1
    logger.info("model_versions_retained", archived=archived, artifacts_removed=removed)
    return {"archived": archived, "artifacts_removed": removed}
