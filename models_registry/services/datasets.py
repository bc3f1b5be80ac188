"""Feature sets and dataset snapshots: bars → features → an immutable, hashed Parquet file."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import structlog
from django.conf import settings
from django.db import IntegrityError, transaction

from common import clock
from common.exceptions import ValidationFailed
from marketdata.models import Instrument
from marketdata.selectors import bar_history, instrument_list
from models_registry import artifacts, classifier, dataset_files, features
from models_registry.models import DatasetSnapshot, FeatureSet

logger = structlog.get_logger(__name__)


def close_series(
    instrument: Instrument,
    timeframe: str,
    *,
    until: datetime | None = None,
    limit: int | None = None,
) -> pd.Series:
    """Closes of trusted bars, oldest first, indexed by bar time.

    Rejected bars never reach the table, and the selector leaves out quarantined and
    discarded ones, so only validated, non-quarantined bars enter features and dataset_files.
    """
    bars = bar_history(instrument_id=instrument.pk, timeframe=timeframe, until=until, limit=limit)
    return pd.Series(
        [float(bar.close) for bar in bars],
        index=pd.DatetimeIndex([bar.timestamp for bar in bars]),
        dtype=float,
    )


def feature_set_register() -> FeatureSet:
    """The FeatureSet row of the code's current feature definition (created on first use).

    Refuses to go on when the code behind a registered (name, version) has changed: the
    version must be bumped, or old snapshots would claim features they do not contain.
    """
    code_hash = features.feature_code_hash()
    try:
        feature_set, _ = FeatureSet.objects.get_or_create(
            name=features.FEATURE_SET_NAME,
            version=features.FEATURE_SET_VERSION,
            defaults={
                "features": list(features.FEATURE_SPECS),
                "code_hash": code_hash,
                "created_at": clock.now(),
            },
        )
    except IntegrityError:  # another process registered it first
        feature_set = FeatureSet.objects.get(
            name=features.FEATURE_SET_NAME, version=features.FEATURE_SET_VERSION
        )
    if feature_set.code_hash != code_hash:
        raise ValidationFailed(
            f"Feature set {feature_set} was registered with code hash "
            f"{feature_set.code_hash[:12]} but the code now hashes to {code_hash[:12]}: "
            "bump FEATURE_SET_VERSION"
        )
    return feature_set


def _closes(symbols: list[str] | None, timeframe: str, end: datetime | None) -> dict:
    instruments = instrument_list()
    if symbols:
        instruments = instruments.filter(symbol__in=symbols)
    closes = {i.symbol: close_series(i, timeframe, until=end) for i in instruments}
    return {symbol: close for symbol, close in closes.items() if len(close)}


def dataset_snapshot_build(
    *,
    symbols: list[str] | None = None,
    timeframe: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> DatasetSnapshot:
    """Build (or find) the snapshot of the features and labels of stored bars.

    Steps: 1. register the feature set; 2. compute features and labels per symbol from all
    bars up to ``end`` (history before ``start`` still warms the windows up); 3. keep rows
    from ``start``; 4. hash the canonical content; 5. store the Parquet file under its sha256;
    6. record the snapshot once per (feature set, content hash).
    """
    timeframe = timeframe or settings.MARKETDATA_TIMEFRAME
    feature_set = feature_set_register()
    frame = classifier.build_dataset(_closes(symbols, timeframe, end))
    if start is not None:
        frame = frame[frame["timestamp"] >= start]
    if frame.empty:
        raise ValidationFailed("No bars to train on in the requested range")
    content_sha256 = dataset_files.content_sha256(frame)
    existing = DatasetSnapshot.objects.filter(
        feature_set=feature_set, content_sha256=content_sha256
    ).first()
    if existing is not None:
        return existing
    path, file_sha256 = artifacts.put(
        dataset_files.to_parquet_bytes(frame), kind="datasets", suffix=".parquet"
    )
    try:
        with transaction.atomic():
            snapshot = DatasetSnapshot.objects.create(
                feature_set=feature_set,
                symbols=sorted(frame["symbol"].unique().tolist()),
                timeframe=timeframe,
                start=frame["timestamp"].min(),
                end=frame["timestamp"].max(),
                row_count=len(frame),
                storage_path=path,
                file_sha256=file_sha256,
                content_sha256=content_sha256,
                created_at=clock.now(),
            )
    except IntegrityError:  # built concurrently with identical content
        return DatasetSnapshot.objects.get(feature_set=feature_set, content_sha256=content_sha256)
    logger.info("dataset_snapshot_built", sha256=content_sha256, rows=len(frame))
    return snapshot


def dataset_frame_load(snapshot: DatasetSnapshot) -> pd.DataFrame:
    """The snapshot's rows, after checking the file's digest and the content's hash."""
    frame = dataset_files.from_parquet_bytes(
        artifacts.get(snapshot.storage_path, snapshot.file_sha256)
    )
    if dataset_files.content_sha256(frame) != snapshot.content_sha256:
        raise ValidationFailed(f"{snapshot} content does not match its recorded hash")
    return frame


def recent_feature_frame(*, symbols: list[str], timeframe: str, bars: int) -> pd.DataFrame:
    """Feature rows of the newest ``bars`` bars per symbol: the "current" side of drift."""
    frames = []
    for instrument in instrument_list().filter(symbol__in=symbols):
        close = close_series(instrument, timeframe, limit=bars + features.WARMUP_BARS * 3)
        frame = features.compute_features(close).dropna().tail(bars)
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=list(features.FEATURE_NAMES))
    return pd.concat(frames, ignore_index=True)
