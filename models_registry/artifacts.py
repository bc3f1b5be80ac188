"""Content-addressed artifact store: a blob's name is its sha256, so it is never overwritten.

Local filesystem under ``MODEL_ARTIFACT_DIR`` by default; any S3-compatible bucket through
django-storages when ``MODEL_ARTIFACT_STORAGE=s3``. Every read checks the digest before the
bytes are used, and a mismatch is refused, logged and counted (an alert rule watches it).
"""

from __future__ import annotations

import hashlib
from typing import Any

import structlog
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage

from common.exceptions import ArtifactIntegrityError
from models_registry import metrics

logger = structlog.get_logger(__name__)


def storage() -> Storage:
    """The configured store, built per call so settings overrides (tests) take effect."""
    if settings.MODEL_ARTIFACT_STORAGE == "s3":
        # Loaded on use: boto3 is only needed where artifacts live in a bucket.
        from storages.backends.s3 import S3Storage

        options: dict[str, Any] = dict(settings.MODEL_ARTIFACT_S3_OPTIONS)
        return S3Storage(**options)
    return FileSystemStorage(location=str(settings.MODEL_ARTIFACT_DIR))


def name_for(kind: str, sha256: str, suffix: str) -> str:
    """``<kind>/<first two hex>/<sha256><suffix>``: the path follows from the content."""
    return f"{kind}/{sha256[:2]}/{sha256}{suffix}"


def put(data: bytes, *, kind: str, suffix: str) -> tuple[str, str]:
    """Store ``data`` once and return (name, sha256).

    A blob that already exists under its digest is the same content, so it is left alone:
    nothing in the store is ever overwritten.
    """
    sha256 = hashlib.sha256(data).hexdigest()
    name = name_for(kind, sha256, suffix)
    store = storage()
    if not store.exists(name):
        saved = store.save(name, ContentFile(data))
        if saved != name:  # a concurrent writer won the race; ours got a suffixed name
            store.delete(saved)
    return name, sha256


def get(name: str, expected_sha256: str) -> bytes:
    """The blob's bytes, only if they hash to ``expected_sha256``."""
    store = storage()
    if not store.exists(name):
        _refuse(name, f"Artifact {name} is missing")
    with store.open(name, "rb") as handle:
        data = handle.read()
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected_sha256:
        _refuse(
            name,
            f"Artifact {name} has sha256 {actual}, registered {expected_sha256}: refusing to load",
        )
    return data


def delete(name: str) -> None:
    storage().delete(name)


def _refuse(name: str, message: str) -> None:
    metrics.ARTIFACT_INTEGRITY_FAILURES.inc()
    logger.error("artifact_integrity_failure", artifact=name, error=message)
    raise ArtifactIntegrityError(message)
