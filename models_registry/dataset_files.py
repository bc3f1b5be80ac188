"""Dataset snapshots as bytes (pure: no ORM): canonical content hash and Parquet round trip.

The hash is taken over a canonical encoding of the content, not over the Parquet file: Parquet
bytes carry writer metadata (library versions) that would change the hash of unchanged data.
"""

from __future__ import annotations

import hashlib
import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from models_registry.features import FEATURE_NAMES

COLUMNS: tuple[str, ...] = ("timestamp", "symbol", *FEATURE_NAMES, "label", "forward_return")


def canonical(frame: pd.DataFrame) -> pd.DataFrame:
    """The snapshot's rows in one order and its columns in one layout."""
    ordered = frame.loc[:, list(COLUMNS)].sort_values(["timestamp", "symbol"], kind="mergesort")
    ordered = ordered.reset_index(drop=True)
    ordered["timestamp"] = pd.to_datetime(ordered["timestamp"], utc=True).astype(
        "datetime64[ns, UTC]"
    )
    ordered["symbol"] = ordered["symbol"].astype(str)
    for column in COLUMNS[2:]:
        ordered[column] = ordered[column].astype("float64")
    return ordered


def content_sha256(frame: pd.DataFrame) -> str:
    """sha256 of the canonical content: same rows and values give the same hash, always.

    Each column contributes its name and its values as fixed-width little-endian bytes
    (timestamps as int64 nanoseconds UTC, symbols as length-prefixed UTF-8).
    """
    data = canonical(frame)
    digest = hashlib.sha256(f"rows={len(data)}".encode())
    for column in COLUMNS:
        digest.update(column.encode() + b"\0")
        values = data[column]
        if column == "timestamp":
            naive = values.dt.tz_convert("UTC").dt.tz_localize(None)
            digest.update(naive.to_numpy().astype("datetime64[ns]").astype("<i8").tobytes())
        elif column == "symbol":
            for symbol in values:
                encoded = symbol.encode()
                digest.update(len(encoded).to_bytes(4, "little") + encoded)
        else:
            digest.update(np.ascontiguousarray(values.to_numpy(), dtype="<f8").tobytes())
    return digest.hexdigest()


def to_parquet_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(canonical(frame), preserve_index=False), buffer)
    return buffer.getvalue()


def from_parquet_bytes(data: bytes) -> pd.DataFrame:
    return pq.read_table(io.BytesIO(data)).to_pandas()
