"""Signals: the champion's (traded) and the shadow's (recorded and scored, never sent)."""

from __future__ import annotations

import structlog

from common import clock
from common.exceptions import ArtifactIntegrityError, ValidationFailed
from marketdata.models import Instrument
from marketdata.selectors import bar_latest
from models_registry import inference, metrics
from models_registry.choices import Alias, Direction
from models_registry.features import WARMUP_BARS
from models_registry.models import ModelVersion, Signal
from models_registry.selectors import aliases_of, model_version_for_alias
from models_registry.services.datasets import close_series
from models_registry.services.scoring import model_version_load

logger = structlog.get_logger(__name__)

# Bars loaded to compute the newest feature row: the warm-up plus slack for the RSI average.
PREDICTION_HISTORY_BARS = WARMUP_BARS * 3


def _signal_for_latest_bar(
    model_version: ModelVersion, instrument: Instrument, *, shadow: bool
) -> Signal | None:
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
    # Serving computes features with the same function as training (features.compute_features).
    prediction = inference.predict_latest(
        model_version_load(model_version),
        close_series(instrument, timeframe, limit=PREDICTION_HISTORY_BARS),
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
            "shadow": shadow,
            "created_at": clock.now(),
        },
    )
    if created:
        name = model_version.registered_model.name
        metrics.SIGNALS.labels(name, signal.direction).inc()
        metrics.CONFIDENCE.labels(name).observe(signal.confidence)
    return signal


def signals_generate(*, model_version: ModelVersion, instruments: list[Instrument]) -> list[Signal]:
    """The signal on each instrument's newest bar (written once; re-runs return the same row).

    Only the champion and the shadow predict; the shadow's signals are flagged ``shadow``
    and the trading cycle never acts on them.
    """
    roles = aliases_of(model_version=model_version)
    if Alias.CHAMPION not in roles and Alias.SHADOW not in roles:
        raise ValidationFailed(f"{model_version} is not a champion and may not emit signals")
    shadow = Alias.CHAMPION not in roles
    signals = []
    for instrument in instruments:
        signal = _signal_for_latest_bar(model_version, instrument, shadow=shadow)
        if signal is not None:
            signals.append(signal)
    return signals


def shadow_signals_record(
    *, registered_model_id: int, instruments: list[Instrument]
) -> list[Signal]:
    """The shadow's signals on the newest bars, for scoring only; [] when there is no shadow.

    A broken shadow must never stop the champion from trading, so its errors are logged.
    """
    shadow = model_version_for_alias(registered_model_id=registered_model_id, alias=Alias.SHADOW)
    if shadow is None:
        return []
    try:
        return signals_generate(model_version=shadow, instruments=instruments)
    except (ArtifactIntegrityError, ValidationFailed) as exc:
        logger.error("shadow_skipped", model_version=str(shadow), error=str(exc))
        return []
