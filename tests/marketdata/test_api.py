"""The bars API shows each bar's quality status and filters on it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.marketdata.factories import BarFactory, InstrumentFactory

pytestmark = pytest.mark.django_db


def test_bars_carry_their_status_and_reasons_and_filter_on_status(api_client, operator):
    aapl = InstrumentFactory(symbol="AAPL")
    BarFactory(instrument=aapl, timestamp=datetime(2026, 3, 2, 15, 0, tzinfo=UTC))
    BarFactory(
        instrument=aapl,
        timestamp=datetime(2026, 3, 2, 15, 1, tzinfo=UTC),
        status="quarantined",
        quality_reasons=["jump_from_trusted"],
    )
    api_client.force_authenticate(operator)

    response = api_client.get("/api/v1/marketdata/bars/", {"status": "quarantined"})

    assert response.status_code == 200
    (bar,) = response.json()["results"]
    assert (bar["status"], bar["quality_reasons"]) == ("quarantined", ["jump_from_trusted"])


def test_the_bars_api_needs_an_account(api_client):
    assert api_client.get("/api/v1/marketdata/bars/").status_code in (401, 403)
