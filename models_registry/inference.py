"""Artifacts and prediction (pure: no ORM). An artifact loads only if its sha256 matches."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import joblib
import pandas as pd

from common.exceptions import ArtifactIntegrityError
from models_registry.features import FEATURE_NAMES, compute_features

ARTIFACT_FORMAT = 1
_loaded: dict[tuple[str, str], Any] = {}


@dataclass(frozen=True)
class Prediction:
    probability_up: float

    @property
    def direction_up(self) -> bool:
        return self.probability_up >= 0.5

    @property
    def confidence(self) -> float:
        return max(self.probability_up, 1.0 - self.probability_up)


def artifact_bytes(model: Any) -> bytes:
    """The artifact's bytes: the model with the format and feature list it was built for."""
    buffer = io.BytesIO()
    joblib.dump(
        {"format": ARTIFACT_FORMAT, "feature_names": list(FEATURE_NAMES), "model": model}, buffer
    )
    return buffer.getvalue()


def _unpack(payload: Any, source: str) -> Any:
    if payload.get("format") != ARTIFACT_FORMAT or payload.get("feature_names") != list(
        FEATURE_NAMES
    ):
        raise ArtifactIntegrityError(f"Model artifact {source} was built for other features")
    return payload["model"]


def load_verified(name: str, expected_sha256: str, read: Callable[[str, str], bytes]) -> Any:
    """The fitted model stored under ``name``; ``read`` returns bytes only after checking them.

    Models are cached in the process by (name, digest): a cached model was verified when it
    was read, and a different digest (another version) is a different key.
    """
    key = (name, expected_sha256)
    if key in _loaded:
        return _loaded[key]
    data = read(name, expected_sha256)
    if hashlib.sha256(data).hexdigest() != expected_sha256:  # never trust the reader alone
        raise ArtifactIntegrityError(f"Model artifact {name} failed its sha256 check")
    model = _unpack(joblib.load(io.BytesIO(data)), name)
    _loaded[key] = model
    return model


def predict_latest(model: Any, close: pd.Series) -> Prediction | None:
    """Prediction for the newest bar of ``close``; None while history is too short."""
    features = compute_features(close).iloc[[-1]]
    if features.isna().any(axis=None):
        return None
    return Prediction(probability_up=float(model.predict_proba(features.to_numpy())[0, 1]))
