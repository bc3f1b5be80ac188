"""`make run`'s demo trades around the clock: its equities follow an always-open calendar."""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from marketdata.selectors import instrument_staleness
from tests.marketdata.factories import BarFactory, InstrumentFactory

ROOT = Path(__file__).resolve().parent.parent.parent
SATURDAY_NIGHT = datetime(2026, 2, 28, 3, 0, tzinfo=UTC)


def _demo_calendar(tmp_path: Path) -> str:
    dry_run = subprocess.run(
        ["make", "-n", "run", f"TRADINGOPS_VAR_DIR={tmp_path}"],  # noqa: S607 - make from PATH
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    found = re.search(r"MARKETDATA_EQUITY_CALENDAR=(\S+)", dry_run.stdout)
    assert found, "make run sets no demo calendar"
    return found.group(1)


@pytest.mark.django_db
def test_on_the_demo_calendar_a_silent_equity_is_stale_on_a_saturday_night(
    tmp_path, settings, frozen_clock
):
    aapl = InstrumentFactory(symbol="AAPL")
    BarFactory(instrument=aapl, timestamp=SATURDAY_NIGHT - timedelta(minutes=10))
    frozen_clock.at = SATURDAY_NIGHT

    settings.MARKETDATA_EQUITY_CALENDAR = "XNYS"
    on_the_exchange = instrument_staleness(instrument=aapl)
    settings.MARKETDATA_EQUITY_CALENDAR = _demo_calendar(tmp_path)
    in_the_demo = instrument_staleness(instrument=aapl)

    assert not on_the_exchange.stale and on_the_exchange.open_bars_missing == 0
    assert in_the_demo.stale and in_the_demo.open_bars_missing == 9
