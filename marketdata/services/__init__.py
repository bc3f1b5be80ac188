"""Market data writes. ``ingest``: cycles over providers; ``storage``: validated bars with
their verdicts; ``review``: operator release and discard of quarantined bars."""

from marketdata.services.ingest import (
    bar_gaps,
    bars_ingest,
    instrument_bars_ingest,
    instrument_gaps_backfill,
    instrument_ingest,
    instrument_ingest_with_failover,
)
from marketdata.services.review import bar_discard, bar_release
from marketdata.services.storage import (
    IngestReport,
    InstrumentIngest,
    bars_assess_and_store,
    instrument_fetched_store,
    quality_rules,
)

__all__ = [
    "IngestReport",
    "InstrumentIngest",
    "bar_discard",
    "bar_gaps",
    "bar_release",
    "bars_assess_and_store",
    "bars_ingest",
    "instrument_bars_ingest",
    "instrument_fetched_store",
    "instrument_gaps_backfill",
    "instrument_ingest",
    "instrument_ingest_with_failover",
    "quality_rules",
]
