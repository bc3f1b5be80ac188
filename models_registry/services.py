"""Model registry writes: training a version, promoting a champion, writing signals."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import structlog
from django.conf import settings
from django.db import transaction
from django.db.models import Max

from common import clock
from common.exceptions import ValidationFailed
from marketdata.models import Instrument
from marketdata.selectors import bar_history, bar_latest, instrument_list
from models_registry import inference, metrics, training
from models_registry.choices import Direction
from models_registry.features import FEATURE_NAMES, WARMUP_BARS
from models_registry.models import ModelVersion, RegisteredModel, Signal

logger = structlog.get_logger(__name__)

# Bars loaded to compute the newest feature row: the warm-up plus slack for the RSI average.
PREDICTION_HISTORY_BARS = WARMUP_BARS * 3


def _close_series(instrument: Instrument, timeframe: str, limit: int | None = None) -> pd.Series:
    bars = bar_history(instrument_id=instrument.pk, timeframe=timeframe, limit=limit)
    return pd.Series(
        [float(bar.close) for bar in bars],
        index=pd.DatetimeIndex([bar.timestamp for bar in bars]),
        dtype=float,
    )


def _artifact_path(name: str, version: int) -> Path:
    return Path(settings.MODEL_ARTIFACT_DIR) / f"{name}-v{version}.joblib"


def model_version_train(
    *,
    model_name: str,
    symbols: list[str] | None = None,
    timeframe: str | None = None,
    holdout_fraction: float = 0.2,
    seed: int = 0,
    regularisation: float = 1.0,
    promote: bool = False,
) -> ModelVersion:
    """Train a new version on stored bars with a time-ordered hold-out and register it.

    Steps: 1. load closes per symbol; 2. build features and labels; 3. split on time;
    4. fit and score on the hold-out; 5. save the artifact and its sha256; 6. register the
    version (and make it champion when ``promote``).
    """
    timeframe = timeframe or settings.MARKETDATA_TIMEFRAME
    instruments = instrument_list()
    if symbols:
        instruments = instruments.filter(symbol__in=symbols)
    closes = {i.symbol: _close_series(i, timeframe) for i in instruments}
    dataset = training.build_dataset({s: c for s, c in closes.items() if len(c)})
    split = training.time_ordered_split(dataset, holdout_fraction)
    model = training.fit_baseline(split.train, seed=seed, regularisation=regularisation)
    scores = training.evaluate(model, split.holdout)
    registered, _ = RegisteredModel.objects.get_or_create(name=model_name)
    with transaction.atomic():
        # Lock the model row so two trainings cannot take the same version number.
        RegisteredModel.objects.select_for_update().get(pk=registered.pk)
        latest = registered.versions.aggregate(latest=Max("version"))["latest"] or 0
        version_number = latest + 1
        path = _artifact_path(model_name, version_number)
        version = ModelVersion.objects.create(
            registered_model=registered,
            version=version_number,
            algorithm=training.ALGORITHM,
            hyperparameters={
                "C": regularisation,
                "seed": seed,
                "holdout_fraction": holdout_fraction,
            },
            feature_names=list(FEATURE_NAMES),
            timeframe=timeframe,
            training_symbols=sorted(dataset["symbol"].unique().tolist()),
            train_start=split.train["timestamp"].min(),
            train_end=split.train["timestamp"].max(),
            holdout_start=split.holdout["timestamp"].min(),
            holdout_end=split.holdout["timestamp"].max(),
            train_rows=len(split.train),
            holdout_rows=len(split.holdout),
            metrics=scores,
            artifact_path=str(path),
            artifact_sha256=inference.save_artifact(model, path),
        )
        if promote:
            model_version_promote(model_version=version)
    logger.info("model_version_trained", model=model_name, version=version_number, **scores)
    return version


@transaction.atomic
def model_version_promote(*, model_version: ModelVersion) -> ModelVersion:
    """Make ``model_version`` the only champion of its model."""
    ModelVersion.objects.filter(
        registered_model_id=model_version.registered_model_id, is_champion=True
    ).exclude(pk=model_version.pk).update(is_champion=False)
    model_version.is_champion = True
    model_version.save(update_fields=["is_champion", "updated_at"])
    logger.info("model_version_promoted", model_version=str(model_version))
    return model_version


def _signal_for_latest_bar(model_version: ModelVersion, instrument: Instrument) -> Signal | None:
    timeframe = model_version.timeframe
    latest = bar_latest(instrument_id=instrument.pk, timeframe=timeframe)
    if latest is None:
        return None
    existing = Signal.objects.filter(
        model_version=model_version,
        instrument=instrument,
        timeframe=timeframe,
        bar_timestamp=latest.timestamp,
    ).first()
    if existing is not None:
        return existing
    model = inference.load_artifact(
        Path(model_version.artifact_path), model_version.artifact_sha256
    )
    prediction = inference.predict_latest(
        model, _close_series(instrument, timeframe, limit=PREDICTION_HISTORY_BARS)
    )
    if prediction is None:
        logger.info("signal_skipped_short_history", symbol=instrument.symbol)
        return None
    signal, created = Signal.objects.get_or_create(
        model_version=model_version,
        instrument=instrument,
        timeframe=timeframe,
        bar_timestamp=latest.timestamp,
        defaults={
            "direction": Direction.UP if prediction.direction_up else Direction.DOWN,
            "probability_up": prediction.probability_up,
            "confidence": prediction.confidence,
            "reference_price": latest.close,
            "created_at": clock.now(),
        },
    )
    if created:
        name = model_version.registered_model.name
        metrics.SIGNALS.labels(name, signal.direction).inc()
        metrics.CONFIDENCE.labels(name).observe(signal.confidence)
    return signal


def signals_generate(*, model_version: ModelVersion, instruments: list[Instrument]) -> list[Signal]:
    """The signal on each instrument's newest bar (written once; re-runs return the same row)."""
    if not model_version.is_champion:
        raise ValidationFailed(f"{model_version} is not a champion and may not emit signals")
    signals = []
    for instrument in instruments:
        signal = _signal_for_latest_bar(model_version, instrument)
        if signal is not None:
            signals.append(signal)
    return signals
