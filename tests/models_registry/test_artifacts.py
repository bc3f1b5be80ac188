"""Content-addressed artifacts: never overwritten, checked on every load, kept if ever champion."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from common.exceptions import ArtifactIntegrityError
from models_registry import artifacts, inference
from models_registry.services import (
    model_version_load,
    model_version_promote,
    model_version_train,
    model_versions_retain,
)

pytestmark = pytest.mark.django_db


def integrity_failures() -> float:
    return REGISTRY.get_sample_value("tradingops_models_artifact_integrity_failures_total") or 0.0


def test_a_blob_is_stored_under_its_sha256(artifact_dir):
    name, digest = artifacts.put(b"model bytes", kind="models", suffix=".joblib")

    assert digest == hashlib.sha256(b"model bytes").hexdigest()
    assert name == f"models/{digest[:2]}/{digest}.joblib"
    assert (Path(artifact_dir) / name).read_bytes() == b"model bytes"


def test_storing_the_same_content_again_never_rewrites_the_file(artifact_dir):
    name, _ = artifacts.put(b"same", kind="models", suffix=".joblib")
    path = Path(artifact_dir) / name
    before = path.stat().st_mtime_ns

    again, _ = artifacts.put(b"same", kind="models", suffix=".joblib")

    assert again == name
    assert path.stat().st_mtime_ns == before
    assert len(list(path.parent.iterdir())) == 1


def test_a_tampered_blob_is_refused_counted_and_logged(artifact_dir):
    name, digest = artifacts.put(b"original", kind="models", suffix=".joblib")
    (Path(artifact_dir) / name).write_bytes(b"swapped")
    before = integrity_failures()

    with pytest.raises(ArtifactIntegrityError, match="refusing to load"):
        artifacts.get(name, digest)
    assert integrity_failures() == before + 1


def test_a_missing_blob_is_an_integrity_error(artifact_dir):
    with pytest.raises(ArtifactIntegrityError, match="missing"):
        artifacts.get("models/00/" + "0" * 64 + ".joblib", "0" * 64)


def test_a_tampered_model_artifact_is_never_unpickled(champion, artifact_dir, monkeypatch):
    path = Path(artifact_dir) / champion.artifact_path
    path.write_bytes(path.read_bytes()[:-1] + b"X")
    monkeypatch.setattr(
        inference.joblib, "load", lambda *a, **k: pytest.fail("unpickled a tampered file")
    )

    with pytest.raises(ArtifactIntegrityError):
        model_version_load(champion)


def test_the_store_can_be_s3_through_django_storages(settings):
    from storages.backends.s3 import S3Storage

    settings.MODEL_ARTIFACT_STORAGE = "s3"
    settings.MODEL_ARTIFACT_S3_OPTIONS = {"bucket_name": "models", "file_overwrite": False}

    store = artifacts.storage()

    assert isinstance(store, S3Storage)
    assert store.bucket_name == "models"
    assert store.file_overwrite is False


def test_retention_archives_old_versions_but_never_removes_an_ever_champion(
    history, artifact_dir, lenient_gates
):
    v1 = model_version_train(model_name="m", promote=True)
    v2 = model_version_train(model_name="m", params={"C": 0.5})
    model_version_promote(model_version=v2, reason="v2 better")
    v3 = model_version_train(model_name="m", params={"C": 0.01})
    v4 = model_version_train(model_name="m", params={"C": 0.02})

    result = model_versions_retain(keep=1)

    for version in (v1, v2, v3, v4):
        version.refresh_from_db()
    assert result == {"archived": 2, "artifacts_removed": 1}
    assert v1.archived_at is not None and v1.ever_champion
    assert (Path(artifact_dir) / v1.artifact_path).is_file()  # a rollback can still load it
    assert v2.archived_at is None  # holds the champion alias
    assert v3.archived_at is not None and not (Path(artifact_dir) / v3.artifact_path).exists()
    assert v4.archived_at is None  # the newest is kept
    model_version_load(v1)
